"""Airflow's `airflow.sdk.execution_time.context`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.current_context import context_to_airflow_vars as context_to_airflow_vars
from riir_airflow.authoring.sdk_helpers import AIRFLOW_VAR_NAME_FORMAT_MAPPING as AIRFLOW_VAR_NAME_FORMAT_MAPPING
from riir_airflow.authoring.state_store import NEVER_EXPIRE as NEVER_EXPIRE

__all__ = [
    "AIRFLOW_VAR_NAME_FORMAT_MAPPING",
    "NEVER_EXPIRE",
    "context_to_airflow_vars",
]
