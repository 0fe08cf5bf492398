"""Task-level callbacks (execute, success, failure, retry, skipped), observed as files in $BEHAVIOUR_OUT_DIR."""

import datetime
import os
from pathlib import Path

from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException


def recorder(event):
    def callback(context):
        ti = context["ti"]
        exc = context.get("exception")
        detail = f" exception={type(exc).__name__}: {exc}" if exc is not None else ""
        Path(os.environ["BEHAVIOUR_OUT_DIR"], f"{ti.task_id}.{event}.{ti.try_number}").write_text(
            f"{event} task={ti.task_id} try={ti.try_number} map_index={ti.map_index}{detail}\n"
        )

    return callback


CALLBACKS = {
    "on_execute_callback": recorder("execute"),
    "on_success_callback": recorder("success"),
    "on_failure_callback": recorder("failure"),
    "on_retry_callback": recorder("retry"),
    "on_skipped_callback": recorder("skipped"),
}


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False, default_args=CALLBACKS)
def callbacks_task():
    @task
    def succeeds() -> int:
        return 1

    @task(retries=1, retry_delay=datetime.timedelta(0))
    def fails_twice() -> None:
        raise ValueError(f"bad try {get_current_context()['ti'].try_number}")

    @task
    def skips() -> None:
        raise AirflowSkipException("skip me")

    @task
    def not_run() -> None:
        return None

    succeeds()
    fails_twice() >> not_run()
    skips()


callbacks_task()
