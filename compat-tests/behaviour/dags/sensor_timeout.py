"""A sensor that never succeeds times out (failed; retries are not used for sensor timeouts)."""

import datetime

from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import TriggerRule, dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def sensor_timeout():
    wait = PythonSensor(
        task_id="wait",
        python_callable=lambda: False,
        poke_interval=0.2,
        timeout=1,
        retries=2,
        retry_delay=datetime.timedelta(0),
    )

    @task
    def after() -> str:
        return "never"

    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def alert() -> str:
        return "timed out"

    wait >> after()
    wait >> alert()


sensor_timeout()
