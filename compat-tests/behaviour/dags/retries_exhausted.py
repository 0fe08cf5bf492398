"""Retries run out: the task fails after retries+1 tries; downstream is upstream_failed; max_tries respected."""

import datetime

from airflow.sdk import TriggerRule, dag, get_current_context, task


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": datetime.timedelta(seconds=0)},
)
def retries_exhausted():
    @task
    def always_fails() -> None:
        ti = get_current_context()["ti"]
        ti.xcom_push(key=f"attempt_{ti.try_number}", value=ti.try_number)
        raise RuntimeError("always")

    @task
    def downstream() -> str:
        return "never"

    @task(trigger_rule=TriggerRule.ALL_FAILED)
    def when_failed() -> str:
        return "handled"

    f = always_fails()
    f >> downstream()
    f >> when_failed()


retries_exhausted()
