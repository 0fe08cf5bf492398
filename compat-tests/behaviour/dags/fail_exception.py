"""AirflowFailException fails at once despite retries; a plain exception with retries=0 fails too."""

import datetime

from airflow.sdk import TriggerRule, dag, task
from airflow.sdk.exceptions import AirflowFailException


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def fail_exception():
    @task(retries=3, retry_delay=datetime.timedelta(seconds=0))
    def no_retry() -> None:
        raise AirflowFailException("give up now")

    @task
    def plain_error() -> None:
        raise ValueError("boom")

    @task
    def never() -> str:
        return "never"

    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def on_any_failure() -> str:
        return "cleanup"

    a = no_retry()
    b = plain_error()
    a >> never()
    [a, b] >> on_any_failure()


fail_exception()
