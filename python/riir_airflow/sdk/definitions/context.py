"""Airflow's `airflow.sdk.definitions.context`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.context_type import Context as Context
from riir_airflow._internal.sdk_helpers import context_merge as context_merge

__all__ = [
    "Context",
    "context_merge",
]
