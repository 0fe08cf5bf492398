"""Airflow's `airflow.sdk.definitions.callback`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.deadline import AsyncCallback as AsyncCallback
from riir_airflow.authoring.deadline import Callback as Callback
from riir_airflow.authoring.deadline import SyncCallback as SyncCallback

__all__ = [
    "AsyncCallback",
    "Callback",
    "SyncCallback",
]
