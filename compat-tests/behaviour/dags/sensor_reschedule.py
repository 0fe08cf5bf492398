"""A sensor in reschedule mode: up_for_reschedule between pokes (try_number unchanged), done on the second poke."""

import datetime
import os
from pathlib import Path

from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import dag, task


def second_poke() -> bool:
    out = Path(os.environ["BEHAVIOUR_OUT_DIR"])
    pokes = len(list(out.glob("reschedule.poke.*"))) + 1
    (out / f"reschedule.poke.{pokes}").write_text(f"poke {pokes}\n")
    return pokes >= 2


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def sensor_reschedule():
    wait = PythonSensor(task_id="wait", python_callable=second_poke, mode="reschedule", poke_interval=1, timeout=60)

    @task
    def after(ti=None) -> int:
        return ti.try_number

    wait >> after()


sensor_reschedule()
