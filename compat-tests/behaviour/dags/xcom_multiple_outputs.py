"""multiple_outputs: one XCom per key plus return_value; inferred from a dict return annotation too."""

import datetime

from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def xcom_multiple_outputs():
    @task(multiple_outputs=True)
    def explicit():
        return {"a": 1, "b": [2, 3], "when": datetime.date(2024, 1, 2)}

    @task
    def inferred() -> dict[str, int]:
        return {"x": 10, "y": 20}

    @task(multiple_outputs=False)
    def disabled() -> dict[str, int]:
        return {"p": 1}

    @task
    def use(a: int, b: list, x: int, whole: dict) -> dict:
        return {"sum": a + sum(b) + x, "whole": whole}

    e = explicit()
    i = inferred()
    use(e["a"], e["b"], i["x"], disabled())


xcom_multiple_outputs()
