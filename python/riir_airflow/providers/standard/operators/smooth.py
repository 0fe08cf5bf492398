"""Airflow's `airflow.providers.standard.operators.smooth`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.smooth import SmoothOperator as SmoothOperator

__all__ = [
    "SmoothOperator",
]
