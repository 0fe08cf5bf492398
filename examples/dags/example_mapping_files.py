"""Dynamic task mapping over the files of a directory: one task lists the files, `.expand()` makes one mapped task
instance per file at run time, and a final task sums their results (a list, in map-index order)."""

from __future__ import annotations

import os
import tempfile

import pendulum

from airflow.sdk import DAG, task

with DAG(
    dag_id="example_mapping_files",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    tags=["example"],
):

    @task
    def list_files() -> list[str]:
        folder = tempfile.mkdtemp(prefix="example_mapping_")
        for i in range(1, 4):
            with open(os.path.join(folder, f"part-{i}.txt"), "w") as f:
                f.write("line\n" * i)
        return sorted(os.path.join(folder, name) for name in os.listdir(folder))

    @task
    def count_lines(path: str) -> int:
        with open(path) as f:
            return sum(1 for _ in f)

    @task
    def total(counts: list[int]) -> int:
        result = sum(counts)
        assert result == 6, result
        return result

    total(count_lines.expand(path=list_files()))
