"""DAG-level on_failure_callback after a failed run (list of callbacks)."""

import datetime
import os
from pathlib import Path

from airflow.sdk import dag, task


def dag_recorder(name):
    def callback(context):
        run = context["dag_run"]
        Path(os.environ["BEHAVIOUR_OUT_DIR"], f"dag.{name}").write_text(
            f"{name} dag={run.dag_id} state={run.state} reason={context.get('reason')}\n"
        )

    return callback


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    on_success_callback=dag_recorder("success"),
    on_failure_callback=[dag_recorder("failure_1"), dag_recorder("failure_2")],
)
def callbacks_dag_failure():
    @task
    def work() -> str:
        raise RuntimeError("task failure fails the run")

    @task
    def after() -> str:
        return "never"

    work() >> after()


callbacks_dag_failure()
