"""Params with defaults overridden by --conf; Param with type/schema; params in templates and in the task."""

# compat-conf: {"name": "from-conf", "count": 5, "extra_key": [1, 2]}

import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import Param, dag, task


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    params={
        "name": "default-name",
        "count": Param(1, type="integer", minimum=0),
        "mode": Param("fast", enum=["fast", "slow"]),
        "options": {"a": 1},
    },
)
def params_conf():
    @task
    def show(params=None, dag_run=None) -> dict:
        return {"params": dict(params), "conf": dag_run.conf}

    @task(params={"count": 7, "task_only": "t"})
    def task_level(params=None) -> dict:
        return dict(params)

    show()
    task_level()
    BashOperator(task_id="bash", bash_command="echo {{ params.name }} {{ params.count }} {{ params.mode }}")


params_conf()
