"""A DAG that fails and is retried: the task fails on its first try, Airflow's retry policy (`retries`,
`retry_delay`) gives it a second try, which succeeds; `try_number` tells the task which try it is."""

from __future__ import annotations

import datetime

import pendulum

from airflow.sdk import DAG, get_current_context, task

with DAG(
    dag_id="example_retries",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    default_args={"retries": 2, "retry_delay": datetime.timedelta(seconds=1)},
    tags=["example"],
):

    @task
    def flaky() -> int:
        try_number = get_current_context()["ti"].try_number
        if try_number < 2:
            raise RuntimeError(f"failing on purpose on try {try_number}")
        return try_number

    flaky()
