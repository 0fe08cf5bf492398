"""Airflow's `airflow.operators.empty`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.empty import EmptyOperator as EmptyOperator

__all__ = [
    "EmptyOperator",
]
