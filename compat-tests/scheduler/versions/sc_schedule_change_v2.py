import datetime

from airflow.sdk import DAG, task

with DAG(
    "sc_schedule_change",
    schedule="0 12 * * *",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 5),
    catchup=True,
):

    @task
    def work(**context):
        return "v2"

    work()
