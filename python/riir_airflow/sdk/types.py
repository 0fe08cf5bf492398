"""Airflow's `airflow.sdk.types`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.sdk_helpers import TaskInstanceKey as TaskInstanceKey

__all__ = [
    "TaskInstanceKey",
]
