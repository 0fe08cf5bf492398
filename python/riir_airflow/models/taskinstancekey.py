"""Airflow's `airflow.models.taskinstancekey`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.sdk_helpers import TaskInstanceKey as TaskInstanceKey

__all__ = [
    "TaskInstanceKey",
]
