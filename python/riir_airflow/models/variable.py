"""Airflow's `airflow.models.variable`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.variable import Variable as Variable

__all__ = [
    "Variable",
]
