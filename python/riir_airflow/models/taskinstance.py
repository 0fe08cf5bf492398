"""Airflow's `airflow.models.taskinstance`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.engine.records import TaskInstanceRecord as TaskInstance

__all__ = [
    "TaskInstance",
]
