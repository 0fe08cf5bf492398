import datetime

from airflow.providers.standard.sensors.external_task import ExternalTaskSensor
from airflow.sdk import DAG, task

# Waits for the producer's task of the same logical date (another DAG, another app), then pulls its XCom. (Poke
# mode: a reschedule-mode sensor races in Airflow 3.3.2 on a busy machine, see sc_sensor_reschedule.py.)
with DAG(
    "sc_xcom_consumer",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 2),
    catchup=True,
):
    wait = ExternalTaskSensor(
        task_id="wait_producer",
        external_dag_id="sc_xcom_producer",
        external_task_id="produce",
        poke_interval=2,
        mode="poke",
        timeout=300,
    )

    @task
    def consume(**context):
        ti = context["ti"]
        return {
            "same_run_id": ti.xcom_pull(dag_id="sc_xcom_producer", task_ids="produce", run_id=context["run_id"]),
            "prior": ti.xcom_pull(dag_id="sc_xcom_producer", task_ids="produce", include_prior_dates=True),
        }

    wait >> consume()
