"""Airflow's `airflow.sdk.execution_time.context`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.sdk_helpers import AIRFLOW_VAR_NAME_FORMAT_MAPPING as AIRFLOW_VAR_NAME_FORMAT_MAPPING
from riir_airflow._internal.state_store import NEVER_EXPIRE as NEVER_EXPIRE
from riir_airflow.runtime.context import context_to_airflow_vars as context_to_airflow_vars

__all__ = [
    "AIRFLOW_VAR_NAME_FORMAT_MAPPING",
    "NEVER_EXPIRE",
    "context_to_airflow_vars",
]
