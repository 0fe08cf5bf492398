"""expand over a literal list, partial() constants, a reduce over the mapped results with list()."""

import datetime

from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def mapping_list():
    @task
    def add(x: int, y: int) -> int:
        return x + y

    @task
    def total(values) -> dict:
        as_list = list(values)
        return {"values": as_list, "sum": sum(as_list), "len": len(values)}

    total(add.partial(y=10).expand(x=[1, 2, 3, 4]))


mapping_list()
