"""Teardown whose work was skipped still runs (setup succeeded); a second teardown after a skipped setup."""

import datetime

from airflow.sdk import dag, setup, task, teardown
from airflow.sdk.exceptions import AirflowSkipException


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def setup_teardown_skip():
    @setup
    def ok_setup() -> str:
        return "up"

    @setup
    def skipped_setup() -> str:
        raise AirflowSkipException("no setup needed")

    @task
    def work() -> str:
        raise AirflowSkipException("no work")

    @task
    def work2() -> str:
        return "w2"

    @teardown
    def td1() -> str:
        return "td1"

    @teardown
    def td2() -> str:
        return "td2"

    s1 = ok_setup()
    s2 = skipped_setup()
    t1 = td1()
    t2 = td2()
    s1 >> work() >> t1
    s1 >> t1
    s2 >> work2() >> t2
    s2 >> t2


setup_teardown_skip()
