import time

from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG

START = time.time()

with DAG("sc_sensor_reschedule", schedule=None):
    # Done once 10 s have passed since its first poke (kept in an XCom): two or so reschedules in between. (A shorter
    # poke_interval races in Airflow 3.3.2 on a busy machine: the TI is queued again before the executor's event of
    # the previous poke is handled, and the scheduler then fails it.)
    def done(ti, **_):
        first = ti.xcom_pull(task_ids="waits", key="first_poke")
        if first is None:
            ti.xcom_push(key="first_poke", value=time.time())
            return False
        return time.time() - first >= 10

    PythonSensor(task_id="waits", python_callable=done, mode="reschedule", poke_interval=5, timeout=120)
