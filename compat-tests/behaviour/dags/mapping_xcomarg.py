"""expand over an upstream task's returned list and dict; a mapped task feeding another mapped task."""

import datetime

from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def mapping_xcomarg():
    @task
    def make_list() -> list:
        return ["a", "bb", "ccc"]

    @task
    def make_dict() -> dict:
        return {"k1": 1, "k2": 2}

    @task
    def length(s: str) -> int:
        return len(s)

    @task
    def double(n: int) -> int:
        return n * 2

    @task
    def from_dict(entry) -> list:
        return list(entry)

    @task
    def reduce(values) -> int:
        return sum(values)

    reduce(double.expand(n=length.expand(s=make_list())))
    from_dict.expand(entry=make_dict())


mapping_xcomarg()
