"""Airflow's `airflow.sdk.bases.operator`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.async_operator import BaseAsyncOperator as BaseAsyncOperator
from riir_airflow._internal.baseoperator import BaseOperator as BaseOperator
from riir_airflow._internal.baseoperator import chain as chain
from riir_airflow._internal.baseoperator import chain_linear as chain_linear
from riir_airflow._internal.baseoperator import cross_downstream as cross_downstream

__all__ = [
    "BaseAsyncOperator",
    "BaseOperator",
    "chain",
    "chain_linear",
    "cross_downstream",
]
