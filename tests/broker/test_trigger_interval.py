"""A run triggered with a logical date gets the data interval Airflow's `timetable.infer_manual_data_interval`
gives it. The broker has no timetable object (it never imports DAG code): it computes the interval from the
serialized timetable with the Rust core (schedules/serialized_timetables.py). The expected values come from riir's
authoring timetables, whose intervals the compat suite checks against Airflow's."""

from __future__ import annotations

import datetime

import asyncpg
import pendulum
import pytest
from dateutil.relativedelta import relativedelta

from riir_airflow.broker.views import encoded_timetable
from riir_airflow.metastore import queries as q
from riir_airflow.schedules.serialized_timetables import core_timetable, manual_data_interval
from riir_airflow.sdk import DAG
from riir_airflow.serialization.serialized_dag import dag_hash, serialize_dag
from riir_airflow.timetables.events import EventsTimetable
from riir_airflow.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from riir_airflow.timetables.trigger import CronTriggerTimetable, DeltaTriggerTimetable, MultipleCronTriggerTimetable
from tests.broker.conftest import Broker

START = pendulum.datetime(2025, 1, 1, tz="UTC")
SCHEDULES: list[object] = [
    "@daily",
    "0 */6 * * 1-5",
    None,
    "@once",
    datetime.timedelta(hours=2),
    relativedelta(months=1),
    CronDataIntervalTimetable("30 4 * * *", timezone=pendulum.timezone("Europe/Paris")),
    DeltaDataIntervalTimetable(relativedelta(weeks=1, weekday=0)),
    CronTriggerTimetable("0 3 * * *", timezone="America/New_York", interval=datetime.timedelta(hours=5)),
    MultipleCronTriggerTimetable("0 1 * * *", "30 13 * * *", timezone="Asia/Tokyo", interval=relativedelta(days=1)),
    DeltaTriggerTimetable(datetime.timedelta(minutes=30), interval=datetime.timedelta(minutes=30)),
    EventsTimetable([pendulum.datetime(2025, 3, 1, tz="UTC")]),
]
WHEN = [pendulum.datetime(2026, 3, 29, 1, 30, tz="UTC"), pendulum.datetime(2025, 11, 5, 17, 0, 7, 123, tz="UTC")]


def _schedule_id(schedule: object) -> str:
    """A stable test id (a timetable object's repr holds its address, which differs between pytest processes)."""
    text = repr(schedule)
    return type(schedule).__name__ if " object at 0x" in text else text


@pytest.mark.parametrize("schedule", SCHEDULES, ids=_schedule_id)
def test_broker_interval_is_the_timetables_own(schedule: object) -> None:
    with DAG("interval", schedule=schedule, start_date=START) as dag:  # type: ignore[arg-type]
        pass
    encoded = encoded_timetable(serialize_dag(dag))
    for when in WHEN:
        expected = dag.timetable.infer_manual_data_interval(run_after=when)
        assert manual_data_interval(encoded, when) == (expected.start, expected.end), (schedule, when)


def test_only_builtin_periodic_timetables_map_to_the_core() -> None:
    assert core_timetable(None) is None
    assert core_timetable({"__type": "my_plugin.WorkdayTimetable", "__var": {}}) is None
    assert core_timetable({"__type": "airflow.timetables.interval.CronDataIntervalTimetable",
                           "__var": {"expression": "@daily", "timezone": "UTC"}}) is not None  # fmt: skip


@pytest.mark.postgres
async def test_trigger_with_a_logical_date_gets_the_timetables_interval(broker: Broker, db: asyncpg.Pool) -> None:
    dag_id = "interval_daily"
    with DAG(dag_id, schedule="@daily", start_date=START) as dag:
        pass
    document = serialize_dag(dag)
    await q.upsert_dag(db, dag_id, fileloc=f"/dags/{dag_id}.py", relative_fileloc=f"{dag_id}.py", owners="x",
                       tags=[], timetable_summary="@daily", timetable_description=None,
                       is_paused_upon_creation=False)  # fmt: skip
    await q.add_dag_version(db, dag_id, document, dag_hash(document), bundle_name="dags-folder")
    with broker.client() as client:
        answer = client.post(f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": "2026-02-10T15:00:00Z"})
        assert answer.status_code == 200, answer.text
        run = answer.json()
        # Airflow 3.3: @daily is a CronTriggerTimetable with no interval: start = end = the logical date.
        when = "2026-02-10T15:00:00Z"
        assert (run["data_interval_start"], run["data_interval_end"]) == (when, when)
        no_date = client.post(f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None}).json()
        assert (no_date["data_interval_start"], no_date["data_interval_end"]) == (None, None)
