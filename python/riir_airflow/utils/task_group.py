"""Airflow's `airflow.utils.task_group`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.taskgroup import TaskGroup as TaskGroup

__all__ = [
    "TaskGroup",
]
