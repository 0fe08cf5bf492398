"""Airflow's `airflow.models.baseoperator`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.baseoperator import BaseOperator as BaseOperator
from riir_airflow.authoring.baseoperator import chain as chain
from riir_airflow.authoring.baseoperator import chain_linear as chain_linear
from riir_airflow.authoring.baseoperator import cross_downstream as cross_downstream

__all__ = [
    "BaseOperator",
    "chain",
    "chain_linear",
    "cross_downstream",
]
