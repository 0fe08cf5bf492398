"""Airflow's `airflow.operators.datetime`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.datetime_branch import BranchDateTimeOperator as BranchDateTimeOperator

__all__ = [
    "BranchDateTimeOperator",
]
