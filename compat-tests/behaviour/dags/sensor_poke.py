"""PythonSensor in poke mode succeeding on the third poke; each poke is recorded in $BEHAVIOUR_OUT_DIR."""

import datetime
import os
from pathlib import Path

from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import dag, task


def third_time_lucky(marker: str) -> bool:
    out = Path(os.environ["BEHAVIOUR_OUT_DIR"])
    pokes = len(list(out.glob(f"{marker}.poke.*"))) + 1
    (out / f"{marker}.poke.{pokes}").write_text(f"poke {pokes}\n")
    return pokes >= 3


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def sensor_poke():
    wait = PythonSensor(
        task_id="wait",
        python_callable=third_time_lucky,
        op_kwargs={"marker": "{{ ds_nodash }}"},
        poke_interval=0.1,
        timeout=60,
        mode="poke",
    )

    @task
    def after() -> str:
        return "sensed"

    wait >> after()


sensor_poke()
