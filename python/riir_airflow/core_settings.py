"""Configuration values the authoring API needs, with Airflow's defaults.

They are read through `AIRFLOW__SECTION__KEY` environment variables here; once the configuration system
(riir_airflow.config) is present, these functions read from it so airflow.cfg applies too.
"""

from __future__ import annotations

import os
from typing import Any

import pendulum

_cache: dict[tuple[str, str, str, str | None], str] = {}


def _get(section: str, key: str, default: str) -> str:
    """A config value; memoized per process because DAG parsing asks for the same few keys thousands of times
    (an `AIRFLOW__SECTION__KEY` variable changed at run time is still seen: it is part of the cache key)."""
    env = os.environ.get(f"AIRFLOW__{section.upper()}__{key.upper()}")
    cache_key = (section, key, default, env)
    value = _cache.get(cache_key)
    if value is None:
        from riir_airflow.config import conf

        value = _cache[cache_key] = str(conf.get(section, key, fallback=default))
    return value


def _getbool(section: str, key: str, default: bool) -> bool:
    value = _get(section, key, str(default)).strip().lower()
    return value in ("true", "t", "1", "yes", "y", "on")


def catchup_by_default() -> bool:
    return _getbool("scheduler", "catchup_by_default", False)


def create_cron_data_intervals() -> bool:
    return _getbool("scheduler", "create_cron_data_intervals", False)


def max_active_tasks_per_dag() -> int:
    return int(_get("core", "max_active_tasks_per_dag", "16"))


def max_active_runs_per_dag() -> int:
    return int(_get("core", "max_active_runs_per_dag", "16"))


def max_consecutive_failed_dag_runs_per_dag() -> int:
    return int(_get("core", "max_consecutive_failed_dag_runs_per_dag", "0"))


def max_map_length() -> int:
    return int(_get("core", "max_map_length", "1024"))


def default_timezone() -> Any:
    name = _get("core", "default_timezone", "utc")
    return pendulum.timezone("UTC" if name.lower() in ("utc", "system") else name)


def airflow_home() -> str:
    return os.path.expanduser(os.environ.get("AIRFLOW_HOME", "~/airflow"))


def dags_folder() -> str:
    return os.path.expanduser(_get("core", "dags_folder", os.path.join(airflow_home(), "dags")))


def dag_discovery_safe_mode() -> bool:
    return _getbool("core", "dag_discovery_safe_mode", True)


def dagbag_import_timeout() -> float:
    return float(_get("core", "dagbag_import_timeout", "30.0"))


def dagbag_import_error_traceback_depth() -> int:
    return int(_get("core", "dagbag_import_error_traceback_depth", "2"))


def plugins_folder() -> str:
    """`[core] plugins_folder`, default `$AIRFLOW_HOME/plugins` (Airflow's)."""
    return os.path.expanduser(_get("core", "plugins_folder", os.path.join(airflow_home(), "plugins")))
