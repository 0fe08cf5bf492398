"""Airflow's `airflow.providers.standard.decorators.branch_python`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.decorators import branch_task as branch_task

__all__ = [
    "branch_task",
]
