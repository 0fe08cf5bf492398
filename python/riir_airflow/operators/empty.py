"""Airflow's `airflow.operators.empty`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.standard.empty import EmptyOperator as EmptyOperator

__all__ = [
    "EmptyOperator",
]
