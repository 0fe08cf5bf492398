import datetime
import time

from airflow.sdk import DAG, task

with DAG(
    "sc_max_active_runs_two",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 5),
    catchup=True,
    max_active_runs=2,
):

    @task
    def work(**context):
        time.sleep(2)
        return context["logical_date"].day

    work()
