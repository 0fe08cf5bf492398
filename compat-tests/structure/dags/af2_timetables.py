"""Server-side timetable classes imported from airflow.timetables.* (the Airflow 2 way to pass a timetable)."""

import datetime

import pendulum
from airflow.models import DAG
from airflow.operators.empty import EmptyOperator
from airflow.timetables.events import EventsTimetable
from airflow.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from airflow.timetables.trigger import CronTriggerTimetable, DeltaTriggerTimetable, MultipleCronTriggerTimetable

UTC = pendulum.timezone("UTC")
TIMETABLES = {
    "cron_interval": CronDataIntervalTimetable("0 1 * * *", timezone=UTC),
    "delta_interval": DeltaDataIntervalTimetable(datetime.timedelta(hours=4)),
    "cron_trigger": CronTriggerTimetable("0 5 * * 1", timezone="America/New_York"),
    "delta_trigger": DeltaTriggerTimetable(datetime.timedelta(days=2)),
    "multi_cron": MultipleCronTriggerTimetable("0 9 * * *", "0 17 * * *", timezone=UTC),
    "events": EventsTimetable(
        event_dates=[pendulum.datetime(2025, 3, 1, tz="UTC"), pendulum.datetime(2025, 1, 1, tz="UTC")],
        restrict_to_events=True,
        description="release days",
    ),
    "events_no_description": EventsTimetable(event_dates=[pendulum.datetime(2025, 7, 4, tz="UTC")]),
}

for key, timetable in TIMETABLES.items():
    with DAG(f"af2_timetable_{key}", schedule=timetable, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
        EmptyOperator(task_id="work")
