"""Stand-in for Airflow's test helper: `get_test_run(dag)` returns the pytest entry point of a system test; the
compat harness runs the DAGs with `dags test` instead, so calling it is an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def get_test_run(dag: Any) -> Callable[[], None]:
    def test_run() -> None:
        raise RuntimeError(f"{dag.dag_id}: run example DAGs with `dags test` (compat-tests/providers/check.py)")

    return test_run
