import datetime

from airflow.providers.standard.sensors.external_task import ExternalTaskSensor
from airflow.sdk import DAG, task

with DAG(
    "sc_marker_child",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 1),
    catchup=True,
):
    wait = ExternalTaskSensor(
        task_id="wait_parent",
        external_dag_id="sc_marker_parent",
        external_task_id="start",
        poke_interval=2,
        mode="poke",
        timeout=300,
    )

    @task
    def child_task(**context):
        return context["ti"].try_number

    wait >> child_task()
