"""soft_fail=True: a sensor timeout becomes skipped and the skip propagates; exponential backoff kept tiny."""

import datetime

from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import TriggerRule, dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def sensor_soft_fail():
    wait = PythonSensor(
        task_id="wait",
        python_callable=lambda: False,
        poke_interval=0.1,
        timeout=1,
        soft_fail=True,
        exponential_backoff=True,
        max_wait=datetime.timedelta(seconds=0.3),
    )

    @task
    def after() -> str:
        return "never"

    @task(trigger_rule=TriggerRule.NONE_FAILED)
    def tolerant() -> str:
        return "ran anyway"

    wait >> after()
    wait >> tolerant()


sensor_soft_fail()
