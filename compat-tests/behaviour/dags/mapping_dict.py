"""expand over a literal dict (items become (key, value) pairs) and over two arguments (cross product)."""

import datetime

from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def mapping_dict():
    @task
    def pair(item) -> str:
        key, value = item
        return f"{key}={value}"

    @task
    def cross(a: str, b: int) -> str:
        return f"{a}{b}"

    @task
    def gather(pairs, crosses) -> list:
        return [sorted(pairs), list(crosses)]

    gather(pair.expand(item={"b": 2, "a": 1}), cross.expand(a=["x", "y"], b=[1, 2, 3]))


mapping_dict()
