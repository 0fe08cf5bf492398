"""A --conf value that violates a Param's schema."""

# compat-conf: {"count": "not-an-int"}

import datetime

from airflow.sdk import Param, dag, task


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    params={"count": Param(1, type="integer")},
)
def params_invalid_conf():
    @task
    def show(params=None) -> dict:
        return dict(params)

    show()


params_invalid_conf()
