"""Where variables and connections come from: `AIRFLOW_VAR_*` / `AIRFLOW_CONN_*` first, then the metastore.

The metastore is reached through a backend the runtime installs (a task process asks its DAG app; `dags test`
uses an in-memory store), so authoring code never holds database credentials.
"""

from __future__ import annotations

import os
from typing import Any, Protocol


class SecretsBackend(Protocol):
    def get_variable(self, key: str) -> str | None: ...

    def get_conn_value(self, conn_id: str) -> str | None: ...


class EnvironmentVariablesBackend:
    """Reads `AIRFLOW_VAR_<KEY>` and `AIRFLOW_CONN_<CONN_ID>` (upper-cased), as Airflow does."""

    def get_variable(self, key: str) -> str | None:
        return os.environ.get(f"AIRFLOW_VAR_{key.upper()}")

    def get_conn_value(self, conn_id: str) -> str | None:
        return os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")


class InMemoryBackend:
    """Variables and connections kept in this process (used by `dags test` and by tests)."""

    def __init__(self) -> None:
        self.variables: dict[str, str] = {}
        self.connections: dict[str, str] = {}

    def get_variable(self, key: str) -> str | None:
        return self.variables.get(key)

    def get_conn_value(self, conn_id: str) -> str | None:
        return self.connections.get(conn_id)

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.variables[key] = value

    def delete_variable(self, key: str) -> None:
        self.variables.pop(key, None)


_env = EnvironmentVariablesBackend()
# The store behind the environment; the runtime replaces it (e.g. with the app channel).
store: Any = InMemoryBackend()


def set_store(backend: Any) -> None:
    global store
    store = backend


def backends() -> list[Any]:
    return [_env, store]


def get_variable(key: str) -> str | None:
    for backend in backends():
        value = backend.get_variable(key)
        if value is not None:
            return str(value)
    return None


def get_conn_value(conn_id: str) -> str | None:
    for backend in backends():
        value = backend.get_conn_value(conn_id)
        if value is not None:
            return str(value)
    return None
