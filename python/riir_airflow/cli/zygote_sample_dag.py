"""A DAG of riir's own that the zygote (cli/zygote.py) imports and serializes once before it forks any app, so that
the code every app runs first on its own DAG file has already run in the zygote. Not a user's DAG: nothing here
connects, reads a secret or loads a plugin."""

from __future__ import annotations

import datetime

from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.sdk import DAG, task


@task
def zygote_sample_task() -> None:
    return None


with DAG(
    dag_id="riir_zygote_sample",
    schedule="*/5 * * * *",
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    default_args={"retries": 1},
    tags=["riir"],
):
    EmptyOperator(task_id="start") >> zygote_sample_task() >> BashOperator(task_id="done", bash_command="true")
