"""Tasks whose start_date is after the run's logical date, or whose end_date is before it: Airflow creates no task
instance for them in that run (DagRun.verify_integrity), so they never run, and a task downstream of one never gets
ready (the run ends in a deadlock, failed)."""

import datetime

from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2020, 1, 1), catchup=False)
def task_dates_outside_run():
    @task
    def runs() -> int:
        return 1

    @task(start_date=datetime.datetime(2099, 1, 1))
    def starts_later() -> int:
        return 2

    @task(end_date=datetime.datetime(2021, 1, 1))
    def ended_before() -> int:
        return 3

    @task
    def after_ended() -> int:
        return 4

    runs() >> ended_before() >> after_ended()
    starts_later()


task_dates_outside_run()
