"""Airflow's `airflow.providers.standard.operators.branch`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.branch import BaseBranchOperator as BaseBranchOperator
from riir_airflow._internal.skipmixin import BranchMixIn as BranchMixIn

__all__ = [
    "BaseBranchOperator",
    "BranchMixIn",
]
