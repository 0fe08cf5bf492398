"""Setup and teardown: a setup task creates a resource, work uses it, and the teardown task removes it even
when the work fails (a teardown's failure does not fail the run unless `on_failure_fail_dagrun`)."""

from __future__ import annotations

import os
import shutil
import tempfile

import pendulum

from airflow.sdk import DAG, setup, task, teardown

with DAG(
    dag_id="example_setup_teardown",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    tags=["example"],
):

    @setup
    def create_workspace() -> str:
        return tempfile.mkdtemp(prefix="riir_example_workspace_")

    @task
    def work(folder: str) -> int:
        path = os.path.join(folder, "data.txt")
        with open(path, "w") as f:
            f.write("1 2 3\n")
        return len(open(path).read().split())

    @teardown
    def remove_workspace(folder: str) -> None:
        shutil.rmtree(folder)

    workspace = create_workspace()
    work(workspace) >> remove_workspace(workspace)
