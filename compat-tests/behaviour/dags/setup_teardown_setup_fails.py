"""A failing setup: the work is upstream_failed and the teardown (all_done_setup_success) is skipped."""

import datetime

from airflow.sdk import dag, setup, task, teardown


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def setup_teardown_setup_fails():
    @setup
    def create() -> str:
        raise RuntimeError("cannot create")

    @setup
    def other_setup() -> str:
        return "other"

    @task
    def work() -> str:
        return "never"

    @teardown
    def delete() -> str:
        return "deleted"

    s1 = create()
    s2 = other_setup()
    t = delete()
    [s1, s2] >> work() >> t
    s1 >> t
    s2 >> t


setup_teardown_setup_fails()
