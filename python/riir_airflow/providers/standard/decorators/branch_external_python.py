"""Airflow's `airflow.providers.standard.decorators.branch_external_python`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.decorators import branch_external_python_task as branch_external_python_task

__all__ = [
    "branch_external_python_task",
]
