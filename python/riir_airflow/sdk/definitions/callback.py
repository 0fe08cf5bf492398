"""Airflow's `airflow.sdk.definitions.callback`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.deadline import AsyncCallback as AsyncCallback
from riir_airflow._internal.deadline import Callback as Callback
from riir_airflow._internal.deadline import SyncCallback as SyncCallback

__all__ = [
    "AsyncCallback",
    "Callback",
    "SyncCallback",
]
