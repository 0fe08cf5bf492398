import time

from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG

with DAG("sc_sensor_reschedule", schedule=None):
    # Done once 20 s have passed since the run started: two reschedules in between, during which the scenario
    # restarts riir's app. (The time cannot be kept in an XCom: both sides clear a sensor's XComs on each poke. A
    # short poke_interval races in Airflow 3.3.2 on a busy machine: the TI is queued again before the executor's
    # event of the previous poke is handled, and the scheduler then fails it; 5 s still lost that race here.)
    def done(dag_run, **_):
        return time.time() - dag_run.start_date.timestamp() >= 20

    PythonSensor(task_id="waits", python_callable=done, mode="reschedule", poke_interval=15, timeout=300)
