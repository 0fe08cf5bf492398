"""Branching: `@task.branch` picks which downstream path runs; the other is skipped, and a join task with the
`none_failed_min_one_success` trigger rule runs after whichever branch ran."""

from __future__ import annotations

import pendulum

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

with DAG(
    dag_id="example_branching",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    params={"size": 12},
    tags=["example"],
):

    @task.branch
    def choose(params: dict | None = None) -> str:
        assert params is not None
        return "big" if params["size"] > 10 else "small"

    big = EmptyOperator(task_id="big")
    small = EmptyOperator(task_id="small")
    join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
    choose() >> [big, small] >> join
