import datetime
import time

from airflow.sdk import DAG, task

# Two runs may be active at once, but `a` of 01-02 waits for `b` (a's downstream) of 01-01 to finish.
with DAG(
    "sc_wait_for_downstream",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 2),
    catchup=True,
    max_active_runs=2,
):

    @task(wait_for_downstream=True)
    def a():
        return "a"

    @task
    def b(x):
        time.sleep(4)
        return x + "b"

    b(a())
