"""TaskFlow: Python functions become tasks with `@task`; return values travel between them as XComs.

Shows `@dag`, `@task`, `multiple_outputs`, passing values by calling tasks, and `.override()`.
"""

from __future__ import annotations

import pendulum

from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False, tags=["example"])
def example_taskflow() -> None:
    @task(multiple_outputs=True)
    def extract() -> dict[str, float]:
        return {"apples": 3.0, "pears": 1.5}

    @task
    def total(apples: float, pears: float) -> float:
        return apples + pears

    @task
    def report(amount: float, label: str) -> str:
        line = f"{label}: {amount}"
        print(line)
        return line

    order = extract()
    amount = total(order["apples"], order["pears"])
    report(amount, "total")
    report.override(task_id="report_apples")(order["apples"], "apples")


example_taskflow()
