"""Airflow's `airflow.sdk.bases.branch`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.branch import BaseBranchOperator as BaseBranchOperator
from riir_airflow.authoring.skipmixin import BranchMixIn as BranchMixIn

__all__ = [
    "BaseBranchOperator",
    "BranchMixIn",
]
