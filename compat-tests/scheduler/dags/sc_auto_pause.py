import datetime

from airflow.sdk import DAG, task

with DAG(
    "sc_auto_pause",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 5),
    catchup=True,
    max_active_runs=1,
    max_consecutive_failed_dag_runs=2,
    default_args={"retries": 0},
):

    @task
    def always_fails():
        raise RuntimeError("fails every run")

    always_fails()
