"""Airflow's `airflow.providers_manager`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.plugins.providers_manager import ConnectionFormWidgetInfo as ConnectionFormWidgetInfo
from riir_airflow.plugins.providers_manager import ConnectionTypeHookUIMetadata as ConnectionTypeHookUIMetadata
from riir_airflow.plugins.providers_manager import DialectInfo as DialectInfo
from riir_airflow.plugins.providers_manager import HookClassProvider as HookClassProvider
from riir_airflow.plugins.providers_manager import HookInfo as HookInfo
from riir_airflow.plugins.providers_manager import LazyDictWithCache as LazyDictWithCache
from riir_airflow.plugins.providers_manager import NotificationInfo as NotificationInfo
from riir_airflow.plugins.providers_manager import ProviderInfo as ProviderInfo
from riir_airflow.plugins.providers_manager import ProvidersManager as ProvidersManager
from riir_airflow.plugins.providers_manager import TriggerInfo as TriggerInfo

__all__ = [
    "ConnectionFormWidgetInfo",
    "ConnectionTypeHookUIMetadata",
    "DialectInfo",
    "HookClassProvider",
    "HookInfo",
    "LazyDictWithCache",
    "NotificationInfo",
    "ProviderInfo",
    "ProvidersManager",
    "TriggerInfo",
]
