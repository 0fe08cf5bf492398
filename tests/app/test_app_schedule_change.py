"""A new version of a DAG file with another schedule: the app's next runs follow the new timetable from the last
scheduled run's data interval on, as Airflow's scheduler does (`next_dagrun_info(last_automated_data_interval)`)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import start_app, wait_for, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

VERSION = """
import datetime
import datetime as dt
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("reschedule", schedule={schedule!r}, catchup=True,
         start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), end_date={end!r}):
    EmptyOperator(task_id="t")
"""


async def _runs(db: asyncpg.Connection) -> list[str]:
    rows = await db.fetch("SELECT run_id, state FROM dag_run WHERE dag_id = 'reschedule' ORDER BY logical_date")
    return [r["run_id"] for r in rows] if all(r["state"] == "success" for r in rows) else []


async def test_schedule_change_between_versions(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    import datetime as dt

    end = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    path = write_dag(dags, "reschedule.py", VERSION.format(schedule="@daily", end=end))
    app = await start_app(app_env, db, path, tmp_path / "v1.log")
    try:
        await wait_for(lambda: _count(db, 2), 120, "the two daily runs")
    finally:
        app.terminate()
    path.write_text(VERSION.format(schedule="0 12 * * *", end=dt.datetime(2024, 1, 4, tzinfo=dt.UTC)).lstrip())
    app = await start_app(app_env, db, path, tmp_path / "v2.log")
    try:
        await wait_for(lambda: _count(db, 4), 120, "the runs of the new schedule")
    finally:
        app.terminate()
    assert await _runs(db) == [
        "scheduled__2024-01-01T00:00:00+00:00",
        "scheduled__2024-01-02T00:00:00+00:00",
        "scheduled__2024-01-02T12:00:00+00:00",
        "scheduled__2024-01-03T12:00:00+00:00",
    ]
    versions = await db.fetchval("SELECT count(*) FROM dag_version WHERE dag_id = 'reschedule'")
    assert versions == 2


async def _count(db: asyncpg.Connection, n: int) -> bool:
    return len(await _runs(db)) >= n
