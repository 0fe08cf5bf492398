"""Airflow's `airflow.providers.standard.decorators.bash`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.decorators import bash_task as bash_task

__all__ = [
    "bash_task",
]
