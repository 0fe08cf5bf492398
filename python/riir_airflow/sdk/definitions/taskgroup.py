"""Airflow's `airflow.sdk.definitions.taskgroup`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.taskgroup import MappedTaskGroup as MappedTaskGroup
from riir_airflow.authoring.taskgroup import TaskGroup as TaskGroup
from riir_airflow.authoring.taskgroup import task_group as task_group

__all__ = [
    "MappedTaskGroup",
    "TaskGroup",
    "task_group",
]
