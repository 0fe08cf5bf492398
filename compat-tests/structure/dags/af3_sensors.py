"""Every standard sensor from the provider's Airflow 3 paths, in poke and reschedule modes."""

import datetime

import pendulum
from airflow.providers.standard.sensors.bash import BashSensor
from airflow.providers.standard.sensors.date_time import DateTimeSensor
from airflow.providers.standard.sensors.external_task import ExternalTaskMarker, ExternalTaskSensor
from airflow.providers.standard.sensors.filesystem import FileSensor
from airflow.providers.standard.sensors.python import PythonSensor
from airflow.providers.standard.sensors.time import TimeSensor
from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
from airflow.providers.standard.sensors.weekday import DayOfWeekSensor
from airflow.sdk import DAG


def ready():
    return True


with DAG("af3_sensors", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False):
    python_sensor = PythonSensor(task_id="python_sensor", python_callable=ready, poke_interval=5, timeout=60)
    bash_sensor = BashSensor(task_id="bash_sensor", bash_command="true", mode="reschedule")
    delta = TimeDeltaSensor(task_id="delta", delta=datetime.timedelta(minutes=5))
    at_time = TimeSensor(task_id="at_time", target_time=datetime.time(6, 30))
    at_datetime = DateTimeSensor(task_id="at_datetime", target_time="{{ data_interval_end.add(hours=1) }}")
    file_sensor = FileSensor(task_id="file_sensor", filepath="/tmp/ready.flag", fs_conn_id="fs_default")
    upstream_dag = ExternalTaskSensor(
        task_id="upstream_dag",
        external_dag_id="af3_operators",
        external_task_id="bash",
        allowed_states=["success"],
        failed_states=["failed"],
        execution_delta=datetime.timedelta(hours=1),
        mode="reschedule",
    )
    weekday = DayOfWeekSensor(task_id="weekday", week_day="Monday", use_task_logical_date=True)
    marker = ExternalTaskMarker(
        task_id="marker", external_dag_id="af3_basic_context", external_task_id="begin", recursion_depth=3
    )

    [python_sensor, bash_sensor, delta, at_time, at_datetime] >> file_sensor
    file_sensor >> upstream_dag >> weekday >> marker
