"""Setup and teardown around a failing work task: teardown still runs, the run fails (work is a leaf)."""

import datetime

from airflow.sdk import dag, setup, task, teardown


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def setup_teardown_basic():
    @setup
    def create() -> str:
        return "resource"

    @task
    def work(resource: str) -> None:
        raise RuntimeError(f"work on {resource} failed")

    @task
    def after_work() -> str:
        return "never"

    @teardown
    def delete(resource: str) -> str:
        return f"deleted {resource}"

    r = create()
    w = work(r)
    w >> after_work()
    w >> delete(r)


setup_teardown_basic()
