"""Airflow's `airflow.providers.standard.decorators.python`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.decorators import python_task as python_task

__all__ = [
    "python_task",
]
