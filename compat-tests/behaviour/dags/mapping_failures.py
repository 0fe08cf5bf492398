"""One failing map index and one skipping; the reduce is upstream_failed; per-index retries and try numbers."""

import datetime

from airflow.sdk import TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def mapping_failures():
    @task(retries=1, retry_delay=datetime.timedelta(0))
    def work(x: int) -> int:
        ti = get_current_context()["ti"]
        if x == 2:
            raise ValueError("two always fails")
        if x == 3:
            raise AirflowSkipException("three skips")
        if x == 4 and ti.try_number == 1:
            raise ValueError("four fails once")
        return x * 10

    @task
    def reduce(values) -> list:
        return list(values)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def reduce_all_done(values) -> list:
        return list(values)

    w = work.expand(x=[1, 2, 3, 4])
    reduce(w)
    reduce_all_done(w)


mapping_failures()
