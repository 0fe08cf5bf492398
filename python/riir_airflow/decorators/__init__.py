"""Airflow's `airflow.decorators`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.dag import dag as dag
from riir_airflow._internal.decorators import setup as setup
from riir_airflow._internal.decorators import task as task
from riir_airflow._internal.decorators import teardown as teardown
from riir_airflow._internal.taskgroup import task_group as task_group

__all__ = [
    "dag",
    "setup",
    "task",
    "task_group",
    "teardown",
]
