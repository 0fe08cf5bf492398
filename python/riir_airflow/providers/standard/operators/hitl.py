"""Airflow's `airflow.providers.standard.operators.hitl`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.standard.hitl import ApprovalOperator as ApprovalOperator
from riir_airflow._internal.standard.hitl import HITLBranchOperator as HITLBranchOperator
from riir_airflow._internal.standard.hitl import HITLEntryOperator as HITLEntryOperator
from riir_airflow._internal.standard.hitl import HITLOperator as HITLOperator

__all__ = [
    "ApprovalOperator",
    "HITLBranchOperator",
    "HITLEntryOperator",
    "HITLOperator",
]
