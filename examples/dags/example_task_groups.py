"""Task groups and nested groups: `TaskGroup` as a context manager and `@task_group` as a decorator; task ids
are prefixed with their groups (`process.clean.strip`), and groups are wired like tasks."""

from __future__ import annotations

import pendulum

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup, task, task_group

with DAG(
    dag_id="example_task_groups",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    tags=["example"],
):
    start = EmptyOperator(task_id="start")

    with TaskGroup("process", tooltip="clean, then enrich") as process:
        with TaskGroup("clean"):
            strip = EmptyOperator(task_id="strip")
            dedupe = EmptyOperator(task_id="dedupe")
            strip >> dedupe
        enrich = EmptyOperator(task_id="enrich")
        dedupe >> enrich

    @task_group
    def publish() -> None:
        @task
        def render() -> str:
            return "report"

        @task
        def upload(name: str) -> None:
            print(f"uploading {name}")

        upload(render())

    start >> process >> publish()
