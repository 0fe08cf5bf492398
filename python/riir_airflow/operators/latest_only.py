"""Airflow's `airflow.operators.latest_only`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.standard.latest_only import LatestOnlyOperator as LatestOnlyOperator

__all__ = [
    "LatestOnlyOperator",
]
