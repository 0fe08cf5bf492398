"""Airflow's `airflow.providers.standard.decorators.branch_virtualenv`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.decorators import branch_virtualenv_task as branch_virtualenv_task

__all__ = [
    "branch_virtualenv_task",
]
