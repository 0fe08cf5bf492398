"""Params without --conf: defaults apply; dag_run.conf is empty; default_args params merge with DAG params."""

import datetime

from airflow.sdk import Param, dag, task


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    params={"x": Param(3, type="integer"), "y": "why", "nested": {"k": [1, 2]}},
    default_args={"params": {"from_default_args": True, "y": "overridden?"}},
)
def params_defaults():
    @task
    def show(params=None, dag_run=None) -> dict:
        return {"params": dict(params), "conf": dag_run.conf}

    show()


params_defaults()
