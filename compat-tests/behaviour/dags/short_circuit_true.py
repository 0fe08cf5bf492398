"""A truthy short_circuit result lets everything run and is pushed as XCom."""

import datetime

from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def short_circuit_true():
    @task.short_circuit
    def check() -> dict:
        return {"go": True}

    @task
    def after() -> str:
        return "ran"

    check() >> after()


short_circuit_true()
