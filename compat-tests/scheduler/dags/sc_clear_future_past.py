import datetime

from airflow.sdk import DAG, task

with DAG(
    "sc_clear_future_past",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 3),
    catchup=True,
    max_active_runs=1,
):

    @task
    def forward(**context):
        return context["ti"].try_number

    @task
    def backward(**context):
        return context["ti"].try_number

    forward()
    backward()
