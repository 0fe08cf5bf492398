"""Nested TaskGroups, prefix_group_id=False, tooltips and group >> group."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup

with DAG("af3_task_groups", schedule=None, tags=["groups"]):
    start = EmptyOperator(task_id="start")

    with TaskGroup("ingest", tooltip="pull data") as ingest:
        a = EmptyOperator(task_id="a")
        with TaskGroup("nested") as nested:
            n1 = EmptyOperator(task_id="n1")
            n2 = EmptyOperator(task_id="n2")
            n1 >> n2
            with TaskGroup("deeper"):
                EmptyOperator(task_id="leaf")
        a >> nested

    with TaskGroup("flat", prefix_group_id=False) as flat:
        EmptyOperator(task_id="flat_one")
        EmptyOperator(task_id="flat_two")
        with TaskGroup("inside_flat"):
            EmptyOperator(task_id="inner")

    with TaskGroup(group_id="publish") as publish:
        EmptyOperator(task_id="a")

    end = EmptyOperator(task_id="end")
    start >> ingest >> flat >> publish >> end
