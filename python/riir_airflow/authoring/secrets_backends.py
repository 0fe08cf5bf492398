"""Where variables and connections come from, in Airflow's order: the `[secrets] backend` class (with
`[secrets] backend_kwargs`) when one is configured, then `AIRFLOW_VAR_*` / `AIRFLOW_CONN_*`, then the metastore.

The metastore is reached through a backend the runtime installs (a task process asks its DAG app; `dags test`
uses an in-memory store), so authoring code never holds database credentials.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import json
import os
from collections.abc import Iterator
from typing import Any, Protocol

from riir_airflow.exceptions import AirflowConfigException


class BaseSecretsBackend:
    """Airflow's base class for secrets backends: subclasses override `get_conn_value` (or `get_connection`),
    `get_variable` and `get_config`; what they do not override finds nothing."""

    @staticmethod
    def build_path(path_prefix: str, secret_id: str, sep: str = "/") -> str:
        return f"{path_prefix}{sep}{secret_id}"

    def get_conn_value(self, conn_id: str, team_name: str | None = None) -> str | None:
        raise NotImplementedError

    def get_variable(self, key: str, team_name: str | None = None) -> str | None:
        raise NotImplementedError

    def get_config(self, key: str) -> str | None:
        return None

    def deserialize_connection(self, conn_id: str, value: str) -> Any:
        from riir_airflow.authoring.connection import Connection

        return Connection.parse(conn_id, value, source=f"secrets backend {type(self).__qualname__}")

    def get_connection(self, conn_id: str, team_name: str | None = None) -> Any:
        value = self.get_conn_value(conn_id)
        return self.deserialize_connection(conn_id, value) if value else None


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


@functools.cache
def _configured_backend(dotted: str, kwargs_json: str) -> Any:
    module_name, _, attr = dotted.rpartition(".")
    try:
        backend_cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as err:
        raise AirflowConfigException(f"[secrets] backend = {dotted}: cannot import it: {err}") from err
    try:
        kwargs = json.loads(kwargs_json) if kwargs_json.strip() else {}
    except json.JSONDecodeError as err:
        raise AirflowConfigException(f"[secrets] backend_kwargs is not valid JSON: {err}") from err
    if not isinstance(kwargs, dict):
        raise AirflowConfigException("[secrets] backend_kwargs must be a JSON object")
    return backend_cls(**kwargs)


def configured_backend() -> Any | None:
    """The `[secrets] backend` instance (created once per process and settings), or None when none is set."""
    from riir_airflow.config import conf

    dotted = (conf.get("secrets", "backend", fallback="") or "").strip()
    if not dotted:
        return None
    return _configured_backend(dotted, conf.get("secrets", "backend_kwargs", fallback="") or "")


def describe(backend: Any, conn_id: str) -> str:
    """Where a connection came from, for messages."""
    if backend is _env:
        return f"environment variable AIRFLOW_CONN_{conn_id.upper()}"
    if backend is store:
        return "the metastore"
    return f"secrets backend {type(backend).__module__}.{type(backend).__qualname__}"


def _call(method: Any, value: str) -> Any:
    try:
        return method(value)
    except NotImplementedError:
        return None


_preset: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("preset_connections", default=None)


@contextlib.contextmanager
def preset_connection(connection: Any) -> Iterator[None]:
    """Within the block, `connection` is found by its conn_id before any backend is asked (connection tests)."""
    token = _preset.set({**(_preset.get() or {}), connection.conn_id: connection})
    try:
        yield
    finally:
        _preset.reset(token)


def find_connection(conn_id: str) -> tuple[Any, str] | None:
    """The first backend's answer for `conn_id` (a serialized string, or a Connection from a backend that only
    implements `get_connection`) and where it came from."""
    preset = (_preset.get() or {}).get(conn_id)
    if preset is not None:
        return preset, "the connection being tested"
    for backend in backends():
        if backend is not _env and backend is not store:
            overrides_value = type(backend).get_conn_value is not BaseSecretsBackend.get_conn_value
            if not overrides_value and callable(getattr(backend, "get_connection", None)):
                connection = _call(backend.get_connection, conn_id)
                if connection is not None:
                    return connection, describe(backend, conn_id)
                continue
        value = _call(backend.get_conn_value, conn_id)
        if value is not None:
            return str(value), describe(backend, conn_id)
    return None


_env = EnvironmentVariablesBackend()
# The store behind the environment; the runtime replaces it (e.g. with the app channel).
store: Any = InMemoryBackend()


def set_store(backend: Any) -> None:
    global store
    store = backend


def backends() -> list[Any]:
    custom = configured_backend()
    return [_env, store] if custom is None else [custom, _env, store]


def get_variable(key: str) -> str | None:
    for backend in backends():
        value = _call(backend.get_variable, key)
        if value is not None:
            return str(value)
    return None


def get_conn_value(conn_id: str) -> str | None:
    for backend in backends():
        value = _call(backend.get_conn_value, conn_id)
        if value is not None:
            return str(value)
    return None
