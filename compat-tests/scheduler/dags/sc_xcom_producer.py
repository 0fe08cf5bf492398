import datetime

from airflow.sdk import DAG, task

with DAG(
    "sc_xcom_producer",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 2),
    catchup=True,
):

    @task
    def produce(**context):
        return {"from": "producer", "day": context["logical_date"].day}

    produce()
