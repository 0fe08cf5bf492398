"""`@task.<name>` decorators that installed providers register (`task-decorators` in their provider info), as
Airflow's TaskDecoratorCollection finds them: `@task.docker`, `@task.kubernetes`, `@task.sql`, `@task.pyspark`...

Each distribution's `apache_airflow_provider` entry point returns its provider info; the `class-name` of a decorator
is imported only when the decorator is first used (it lives under `airflow.providers.*`, which the import alias
resolves to the installed provider distribution).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# Provider distributions that ship the task decorators DAG authors use most, for the "not found" hint.
KNOWN_PROVIDER_DECORATORS = {
    "docker": "apache-airflow-providers-docker",
    "kubernetes": "apache-airflow-providers-cncf-kubernetes",
    "kubernetes_cmd": "apache-airflow-providers-cncf-kubernetes",
    "sql": "apache-airflow-providers-common-sql",
    "analytics": "apache-airflow-providers-common-sql",
    "pyspark": "apache-airflow-providers-apache-spark",
    "snowpark": "apache-airflow-providers-snowflake",
}


# Read once per process; a read where some provider info could not be loaded (e.g. before the import alias was
# installed) is not kept, so a later lookup tries again.
_paths: dict[str, str] | None = None


def provider_decorator_paths() -> dict[str, str]:
    """name -> import path of every task decorator the installed providers declare."""
    global _paths
    if _paths is not None:
        return _paths
    from importlib.metadata import entry_points

    from riir_airflow import compat

    # Provider code lives in the `airflow.providers` namespace: reading it needs the alias (as ProvidersManager does);
    # without it `airflow` would be imported as a bare namespace package and shadow riir for the whole process.
    compat.install()
    found: dict[str, str] = {}
    complete = True
    for entry in entry_points(group="apache_airflow_provider"):
        try:
            info = entry.load()()
        except Exception:
            log.warning("Could not read the provider info of %s (%s)", entry.name, entry.value, exc_info=True)
            complete = False
            continue
        for item in info.get("task-decorators", []) or []:
            name, path = item.get("name"), item.get("class-name")
            if name and path:
                found.setdefault(name, path)
    if complete:
        _paths = found
    return found


def provider_decorator(name: str) -> Callable[..., Any] | None:
    """The provider's decorator function registered as `name`, or None when no installed provider has it."""
    path = provider_decorator_paths().get(name)
    if path is None:
        return None
    from riir_airflow.authoring.module_loading import import_string

    decorator: Callable[..., Any] = import_string(path)
    return decorator


def not_found_message(name: str) -> str:
    """Airflow's message, plus which distribution provides a well-known decorator."""
    message = f"task decorator {name!r} not found"
    if name in KNOWN_PROVIDER_DECORATORS:
        message += f" (it comes with {KNOWN_PROVIDER_DECORATORS[name]}, which is not installed)"
    return message
