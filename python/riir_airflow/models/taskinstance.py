"""Airflow's `airflow.models.taskinstance`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.runtime.records import TaskInstanceRecord as TaskInstance

__all__ = [
    "TaskInstance",
]
