"""Airflow's `airflow.providers.standard.decorators.external_python`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.decorators import external_python_task as external_python_task

__all__ = [
    "external_python_task",
]
