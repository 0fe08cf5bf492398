"""execution_timeout fails a slow task (and counts as a failed try for retries); a quick one is unaffected."""

import datetime
import time

from airflow.sdk import TriggerRule, dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def execution_timeout():
    @task(execution_timeout=datetime.timedelta(seconds=1))
    def too_slow() -> str:
        time.sleep(30)
        return "unreachable"

    @task(execution_timeout=datetime.timedelta(seconds=1), retries=1, retry_delay=datetime.timedelta(0))
    def too_slow_with_retry() -> str:
        time.sleep(30)
        return "unreachable"

    @task(execution_timeout=datetime.timedelta(seconds=20))
    def quick() -> str:
        return "done in time"

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def report() -> str:
        return "reported"

    [too_slow(), too_slow_with_retry(), quick()] >> report()


execution_timeout()
