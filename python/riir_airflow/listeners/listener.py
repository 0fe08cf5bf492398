"""Airflow's `airflow.listeners.listener`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.plugins.listeners import ListenerManager as ListenerManager
from riir_airflow.plugins.listeners import get_listener_manager as get_listener_manager

__all__ = [
    "ListenerManager",
    "get_listener_manager",
]
