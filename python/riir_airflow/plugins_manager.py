"""Airflow's `airflow.plugins_manager`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.plugins.manager import AirflowPlugin as AirflowPlugin
from riir_airflow.plugins.manager import AirflowPluginException as AirflowPluginException
from riir_airflow.plugins.manager import AirflowPluginSource as AirflowPluginSource
from riir_airflow.plugins.manager import EntryPointSource as EntryPointSource
from riir_airflow.plugins.manager import PluginsDirectorySource as PluginsDirectorySource
from riir_airflow.plugins.manager import ensure_plugins_loaded as ensure_plugins_loaded
from riir_airflow.plugins.manager import get_global_operator_extra_links as get_global_operator_extra_links
from riir_airflow.plugins.manager import get_import_errors as get_import_errors
from riir_airflow.plugins.manager import get_operator_extra_links as get_operator_extra_links
from riir_airflow.plugins.manager import get_plugin_info as get_plugin_info
from riir_airflow.plugins.manager import get_priority_weight_strategy_plugins as get_priority_weight_strategy_plugins
from riir_airflow.plugins.manager import get_timetables_plugins as get_timetables_plugins
from riir_airflow.plugins.manager import integrate_listener_plugins as integrate_listener_plugins
from riir_airflow.plugins.manager import integrate_macros_plugins as integrate_macros_plugins
from riir_airflow.plugins.manager import is_valid_plugin as is_valid_plugin

__all__ = [
    "AirflowPlugin",
    "AirflowPluginException",
    "AirflowPluginSource",
    "EntryPointSource",
    "PluginsDirectorySource",
    "ensure_plugins_loaded",
    "get_global_operator_extra_links",
    "get_import_errors",
    "get_operator_extra_links",
    "get_plugin_info",
    "get_priority_weight_strategy_plugins",
    "get_timetables_plugins",
    "integrate_listener_plugins",
    "integrate_macros_plugins",
    "is_valid_plugin",
]
