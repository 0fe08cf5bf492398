"""Airflow's `airflow.operators.latest_only`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.latest_only import LatestOnlyOperator as LatestOnlyOperator

__all__ = [
    "LatestOnlyOperator",
]
