"""ExternalTaskSensor(check_existence=True) on a DAG and a task that do not exist. Airflow 3.3's sensor does not
check existence on Airflow 3 (its `_poke_af3` marks it checked; only the Airflow 2 path looks the DAG up): it pokes
until its timeout (failed), and so does riir's."""

import datetime

from airflow.providers.standard.sensors.external_task import ExternalTaskSensor
from airflow.sdk import TriggerRule, dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def external_sensor_check_existence():
    wait_task = ExternalTaskSensor(
        task_id="wait_task",
        external_dag_id="no_such_dag",
        external_task_id="no_such_task",
        check_existence=True,
        poke_interval=0.2,
        timeout=1,
    )
    wait_dag = ExternalTaskSensor(
        task_id="wait_dag",
        external_dag_id="no_such_dag",
        external_task_id=None,
        check_existence=True,
        poke_interval=0.2,
        timeout=1,
    )

    @task(trigger_rule=TriggerRule.ALL_FAILED)
    def both_failed() -> str:
        return "timed out"

    [wait_task, wait_dag] >> both_failed()


external_sensor_check_existence()
