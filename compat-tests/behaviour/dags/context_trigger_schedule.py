"""schedule='@daily' (a cron trigger timetable in Airflow 3) and a non-UTC start: intervals and ds in context."""

# compat-date: 2024-03-05T23:30:00+00:00

import pendulum
from airflow.sdk import dag, task


@dag(schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Amsterdam"), catchup=False)
def context_trigger_schedule():
    @task
    def report(ds=None, ts=None, logical_date=None, data_interval_start=None, data_interval_end=None) -> dict:
        return {
            "ds": ds,
            "ts": ts,
            "logical_date": logical_date.isoformat(),
            "logical_date_tz": str(logical_date.tzinfo),
            "start": data_interval_start.isoformat(),
            "end": data_interval_end.isoformat(),
            "equal": data_interval_start == data_interval_end,
        }

    report()


context_trigger_schedule()
