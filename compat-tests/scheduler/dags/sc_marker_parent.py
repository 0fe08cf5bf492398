import datetime

from airflow.providers.standard.sensors.external_task import ExternalTaskMarker
from airflow.sdk import DAG, task

# Clearing `start` with downstream also clears sc_marker_child.child_task of the same logical date (another app).
with DAG(
    "sc_marker_parent",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 1),
    catchup=True,
):

    @task
    def start(**context):
        return context["ti"].try_number

    start() >> ExternalTaskMarker(
        task_id="mark_child", external_dag_id="sc_marker_child", external_task_id="child_task"
    )
