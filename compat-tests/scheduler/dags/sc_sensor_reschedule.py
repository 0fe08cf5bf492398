from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG

with DAG("sc_sensor_reschedule", schedule=None):
    # Done at the third poke (two reschedules in between, during which the scenario restarts riir's app). Neither the
    # wall clock (a busy Airflow starts the first poke late) nor an XCom (both sides clear a sensor's XComs on each
    # poke) can count the pokes. A short poke_interval races in Airflow 3.3.2 on a busy machine: the TI is queued
    # again before the executor's event of the previous poke is handled, and the scheduler then fails it; 5 s still
    # lost that race here.
    def done(task_reschedule_count, **_):
        return task_reschedule_count >= 2

    PythonSensor(task_id="waits", python_callable=done, mode="reschedule", poke_interval=15, timeout=300)
