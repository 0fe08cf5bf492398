"""Data intervals under schedules: CronDataIntervalTimetable (interval ends at the logical date's next fire)
and the default cron trigger timetable, seen from a task's context."""

# compat-date: 2024-03-05T06:00:00+00:00

import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, CronDataIntervalTimetable


def report(**context):
    return {
        k: context[k].isoformat() if hasattr(context[k], "isoformat") else context[k]
        for k in ("ds", "ts", "logical_date", "data_interval_start", "data_interval_end")
    }


with DAG(
    "context_cron_schedule",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
):
    PythonOperator(task_id="report", python_callable=report)
    PythonOperator(
        task_id="templated",
        python_callable=lambda x: x,
        op_args=["{{ data_interval_start }} .. {{ data_interval_end }} / {{ ds }}"],
    )
