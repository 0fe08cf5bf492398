import datetime
import time

from airflow.sdk import DAG, task

with DAG(
    "sc_dagrun_timeout",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 1),
    catchup=True,
    dagrun_timeout=datetime.timedelta(seconds=15),
):

    @task
    def slow():
        time.sleep(120)

    @task
    def after_slow():
        return "never"

    slow() >> after_slow()
