"""A task that fails on its first two tries and succeeds on the third; on_retry_callback records each retry."""

import datetime
import os
from pathlib import Path

from airflow.sdk import dag, get_current_context, task


def record_retry(context):
    ti = context["ti"]
    Path(os.environ["BEHAVIOUR_OUT_DIR"], f"retry_{ti.task_id}_{ti.try_number}").write_text(
        f"{ti.task_id} try {ti.try_number}\n"
    )


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def retries_then_success():
    @task(retries=3, retry_delay=datetime.timedelta(seconds=0), on_retry_callback=record_retry)
    def flaky() -> int:
        ti = get_current_context()["ti"]
        if ti.try_number < 3:
            raise RuntimeError(f"try {ti.try_number} fails")
        return ti.try_number

    @task
    def use(n: int) -> str:
        return f"succeeded on try {n}"

    use(flaky())


retries_then_success()
