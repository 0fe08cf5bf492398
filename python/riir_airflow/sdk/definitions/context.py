"""Airflow's `airflow.sdk.definitions.context`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.context_type import Context as Context
from riir_airflow.authoring.sdk_helpers import context_merge as context_merge

__all__ = [
    "Context",
    "context_merge",
]
