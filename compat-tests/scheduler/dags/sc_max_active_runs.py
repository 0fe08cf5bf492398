import datetime
import time

from airflow.sdk import DAG, task

with DAG(
    "sc_max_active_runs",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 4),
    catchup=True,
    max_active_runs=1,
):

    @task
    def work(**context):
        time.sleep(1)
        return context["logical_date"].day

    work()
