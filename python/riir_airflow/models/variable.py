"""Airflow's `airflow.models.variable`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.variable import Variable as Variable

__all__ = [
    "Variable",
]
