"""@task.sensor from airflow.decorators returning PokeReturnValue (airflow.sensors.base) and plain bools."""

from airflow.decorators import dag, task
from airflow.sensors.base import PokeReturnValue


@dag(schedule="@daily", catchup=False, tags=["sensors"])
def af2_sensor_decorator():
    @task.sensor(poke_interval=60, timeout=3600, mode="reschedule", soft_fail=True)
    def wait_for_upstream() -> PokeReturnValue:
        return PokeReturnValue(is_done=True, xcom_value={"rows": 10})

    @task.sensor(task_id="plain_bool")
    def wait_bool() -> bool:
        return True

    @task
    def consume(payload):
        return payload["rows"]

    consume(wait_for_upstream()) << wait_bool()


af2_sensor_decorator()
