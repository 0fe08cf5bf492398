"""@task.sensor returning PokeReturnValue with an XCom value, and a plain bool sensor subclass of BaseSensorOperator."""

import datetime
import os
from pathlib import Path

from airflow.sdk import BaseSensorOperator, PokeReturnValue, dag, task


class CountingSensor(BaseSensorOperator):
    template_fields = ("tag",)

    def __init__(self, *, tag: str, **kwargs):
        super().__init__(**kwargs)
        self.tag = tag

    def poke(self, context) -> bool:
        out = Path(os.environ["BEHAVIOUR_OUT_DIR"])
        n = len(list(out.glob("counting.*"))) + 1
        (out / f"counting.{n}").write_text(f"{self.tag} {n}\n")
        return n >= 2


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def sensor_decorator():
    @task.sensor(poke_interval=0.1, timeout=30, mode="poke")
    def ready() -> PokeReturnValue:
        return PokeReturnValue(is_done=True, xcom_value={"rows": 3})

    @task
    def consume(v: dict) -> int:
        return v["rows"] * 2

    counting = CountingSensor(task_id="counting", tag="run {{ ds }}", poke_interval=0.1, timeout=30)
    counting >> consume(ready())


sensor_decorator()
