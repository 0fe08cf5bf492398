import datetime

from airflow.providers.standard.sensors.external_task import ExternalTaskSensor
from airflow.sdk import DAG

# Waits on sc_auto_pause's task of 01-01, which fails: failed_states make the sensor fail instead of waiting.
with DAG(
    "sc_external_failed",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 1),
    catchup=True,
    default_args={"retries": 0},
):
    ExternalTaskSensor(
        task_id="wait_failing",
        external_dag_id="sc_auto_pause",
        external_task_id="always_fails",
        allowed_states=["success"],
        failed_states=["failed"],
        poke_interval=2,
        mode="poke",
        timeout=300,
    )
