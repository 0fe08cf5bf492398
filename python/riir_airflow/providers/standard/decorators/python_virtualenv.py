"""Airflow's `airflow.providers.standard.decorators.python_virtualenv`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.decorators import virtualenv_task as virtualenv_task

__all__ = [
    "virtualenv_task",
]
