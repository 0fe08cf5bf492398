"""Airflow's `airflow.providers.standard.operators.hitl`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.hitl import ApprovalOperator as ApprovalOperator
from riir_airflow.authoring.standard.hitl import HITLBranchOperator as HITLBranchOperator
from riir_airflow.authoring.standard.hitl import HITLEntryOperator as HITLEntryOperator
from riir_airflow.authoring.standard.hitl import HITLOperator as HITLOperator

__all__ = [
    "ApprovalOperator",
    "HITLBranchOperator",
    "HITLEntryOperator",
    "HITLOperator",
]
