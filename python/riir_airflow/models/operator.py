"""Airflow's `airflow.models.operator`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.baseoperator import BaseOperator as BaseOperator

__all__ = [
    "BaseOperator",
]
