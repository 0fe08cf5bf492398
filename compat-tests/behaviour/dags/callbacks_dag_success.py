"""DAG-level on_success_callback (and an unused on_failure_callback) after a successful run."""

import datetime
import os
from pathlib import Path

from airflow.sdk import dag, task


def dag_recorder(event):
    def callback(context):
        run = context["dag_run"]
        Path(os.environ["BEHAVIOUR_OUT_DIR"], f"dag.{event}").write_text(
            f"{event} dag={run.dag_id} state={run.state} reason={context.get('reason')}\n"
        )

    return callback


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    on_success_callback=dag_recorder("success"),
    on_failure_callback=dag_recorder("failure"),
)
def callbacks_dag_success():
    @task
    def work() -> str:
        return "ok"

    work()


callbacks_dag_success()
