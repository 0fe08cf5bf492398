import datetime

from airflow.sdk import DAG, task

# Version 1: daily at midnight for 01-01..01-03. The scenario then replaces this file with versions/
# sc_schedule_change_v2.py (daily at noon, until 01-05) and the runs continue after the last one.
with DAG(
    "sc_schedule_change",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 3),
    catchup=True,
):

    @task
    def work(**context):
        return "v1"

    work()
