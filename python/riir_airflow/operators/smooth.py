"""Airflow's `airflow.operators.smooth`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.standard.smooth import SmoothOperator as SmoothOperator

__all__ = [
    "SmoothOperator",
]
