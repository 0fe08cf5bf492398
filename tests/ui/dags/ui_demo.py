"""The UI tests' main DAG: a param, nested task groups, a mapped task, a task that logs slowly, and a task that
fails until a marker file exists (so clearing it reruns it to success)."""

import os
import time

import pendulum
from airflow.sdk import DAG, Param, TaskGroup, task

MARKER = os.environ.get("UI_TEST_MARKER", "/nonexistent")

with DAG(
    "ui_demo",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    params={"greeting": Param("hello", type="string", minLength=2), "count": Param(3, type="integer", minimum=1)},
    tags=["ui", "demo"],
    doc_md="Demo for the **UI** tests.",
) as dag:

    @task
    def start(params=None):
        print(f"greeting={params['greeting']} count={params['count']}")
        return list(range(int(params["count"])))

    numbers = start()

    with TaskGroup("outer") as outer:

        @task
        def square(x):
            return x * x

        with TaskGroup("inner"):

            @task
            def inner_step():
                return "inner"

            inner_step()

        square.expand(x=numbers)

    @task
    def slow_log():
        for i in range(20):
            print(f"slow line {i}", flush=True)
            time.sleep(0.5)

    @task
    def flaky():
        if not os.path.exists(MARKER):
            raise RuntimeError("marker file missing: failing on purpose")
        print("marker found")

    outer >> slow_log() >> flaky()
