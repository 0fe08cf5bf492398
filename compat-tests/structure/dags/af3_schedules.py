"""Schedules of every kind, several DAGs in one file."""

import datetime

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import (
    DAG,
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DeltaDataIntervalTimetable,
    DeltaTriggerTimetable,
    MultipleCronTriggerTimetable,
)
from dateutil.relativedelta import relativedelta

START = pendulum.datetime(2024, 1, 1, tz="UTC")

SCHEDULES = {
    "none": None,
    "once": "@once",
    "hourly": "@hourly",
    "daily": "@daily",
    "weekly": "@weekly",
    "monthly": "@monthly",
    "quarterly": "@quarterly",
    "yearly": "@yearly",
    "cron_every_15": "*/15 * * * *",
    "cron_weekdays": "30 9 * * 1-5",
    "delta_6h": datetime.timedelta(hours=6),
    "relativedelta_month": relativedelta(months=1),
    "cron_trigger_tz": CronTriggerTimetable("0 7 * * *", timezone="Europe/Berlin"),
    "cron_trigger_interval": CronTriggerTimetable("0 0 * * *", timezone="UTC", interval=datetime.timedelta(days=1)),
    "cron_data_interval": CronDataIntervalTimetable("0 2 * * *", timezone="UTC"),
    "delta_data_interval": DeltaDataIntervalTimetable(datetime.timedelta(minutes=90)),
    "delta_trigger": DeltaTriggerTimetable(datetime.timedelta(hours=12)),
    "multiple_cron": MultipleCronTriggerTimetable("0 8 * * *", "0 20 * * *", timezone="UTC"),
}

for name, schedule in SCHEDULES.items():
    with DAG(f"af3_schedule_{name}", schedule=schedule, start_date=START, tags=["schedules"]):
        EmptyOperator(task_id="tick")

with DAG("af3_schedule_continuous", schedule="@continuous", start_date=START, max_active_runs=1):
    EmptyOperator(task_id="loop")
