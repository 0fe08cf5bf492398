"""Airflow's `airflow.decorators`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.dag import dag as dag
from riir_airflow.authoring.decorators import setup as setup
from riir_airflow.authoring.decorators import task as task
from riir_airflow.authoring.decorators import teardown as teardown
from riir_airflow.authoring.taskgroup import task_group as task_group

__all__ = [
    "dag",
    "setup",
    "task",
    "task_group",
    "teardown",
]
