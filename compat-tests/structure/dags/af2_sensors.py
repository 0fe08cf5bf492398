"""Sensors through the Airflow 2 airflow.sensors.* paths (time_sensor is the legacy module name)."""

from datetime import datetime, time, timedelta

from airflow.models import DAG
from airflow.sensors.bash import BashSensor
from airflow.sensors.date_time import DateTimeSensor
from airflow.sensors.external_task import ExternalTaskSensor
from airflow.sensors.filesystem import FileSensor
from airflow.sensors.python import PythonSensor
from airflow.sensors.time_delta import TimeDeltaSensor
from airflow.sensors.time_sensor import TimeSensor
from airflow.sensors.weekday import DayOfWeekSensor

with DAG("af2_sensors", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False):
    s1 = PythonSensor(task_id="py", python_callable=lambda: True, soft_fail=True)
    s2 = BashSensor(task_id="bash", bash_command="test -f /tmp/x", retries=2)
    s3 = TimeDeltaSensor(task_id="delta", delta=timedelta(hours=1), mode="reschedule")
    s4 = TimeSensor(task_id="time", target_time=time(23, 0))
    s5 = DateTimeSensor(task_id="datetime", target_time=datetime(2030, 1, 1))
    s6 = FileSensor(task_id="file", filepath="data/{{ ds }}.csv", recursive=True)
    s7 = ExternalTaskSensor(task_id="ext_dag", external_dag_id="af2_classic", external_task_id=None)
    s8 = ExternalTaskSensor(task_id="ext_group", external_dag_id="af2_task_group", external_task_group_id="section_1")
    s9 = DayOfWeekSensor(task_id="weekday", week_day={"Saturday", "Sunday"})
    s1 >> s2 >> s3 >> s4 >> s5 >> s6 >> [s7, s8] >> s9
