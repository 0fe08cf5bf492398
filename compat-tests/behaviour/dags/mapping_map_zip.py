"""XComArg .map() to transform elements before expanding, and .zip() of two lists (with fillvalue)."""

import datetime

from airflow.sdk import dag, task


def to_record(x):
    return {"value": x, "label": f"n{x}"}


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def mapping_map_zip():
    @task
    def numbers() -> list:
        return [1, 2, 3]

    @task
    def letters() -> list:
        return ["a", "b"]

    @task
    def show(rec) -> str:
        return f"{rec['label']}:{rec['value']}"

    @task
    def pair(p) -> list:
        return list(p)

    nums = numbers()
    show.expand(rec=nums.map(to_record))
    pair.expand(p=nums.zip(letters()))
    pair.override(task_id="pair_fill").expand(p=nums.zip(letters(), fillvalue="-"))


mapping_map_zip()
