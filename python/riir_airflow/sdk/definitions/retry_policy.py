"""Airflow's `airflow.sdk.definitions.retry_policy`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.retry_policy import ExceptionRetryPolicy as ExceptionRetryPolicy
from riir_airflow.authoring.retry_policy import RetryAction as RetryAction
from riir_airflow.authoring.retry_policy import RetryDecision as RetryDecision
from riir_airflow.authoring.retry_policy import RetryPolicy as RetryPolicy
from riir_airflow.authoring.retry_policy import RetryRule as RetryRule

__all__ = [
    "ExceptionRetryPolicy",
    "RetryAction",
    "RetryDecision",
    "RetryPolicy",
    "RetryRule",
]
