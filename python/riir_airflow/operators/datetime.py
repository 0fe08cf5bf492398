"""Airflow's `airflow.operators.datetime`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.standard.datetime_branch import BranchDateTimeOperator as BranchDateTimeOperator

__all__ = [
    "BranchDateTimeOperator",
]
