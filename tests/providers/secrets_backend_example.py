"""Secrets backends for the `[secrets] backend` tests: configured by dotted path, with `backend_kwargs`."""

from __future__ import annotations

from typing import Any

from airflow.sdk.bases.secrets_backend import BaseSecretsBackend  # type: ignore[import-not-found]


class DictSecretsBackend(BaseSecretsBackend):  # type: ignore[misc]
    """Serialized connections and variables given as backend_kwargs, under a prefix (as vault-style backends do)."""

    def __init__(self, connections: dict[str, str], variables: dict[str, str], prefix: str = "") -> None:
        self.connections = connections
        self.variables = variables
        self.prefix = prefix

    def get_conn_value(self, conn_id: str, team_name: str | None = None) -> str | None:
        return self.connections.get(f"{self.prefix}{conn_id}")

    def get_variable(self, key: str, team_name: str | None = None) -> str | None:
        return self.variables.get(f"{self.prefix}{key}")


class ObjectSecretsBackend(BaseSecretsBackend):  # type: ignore[misc]
    """A backend that returns Connection objects (overrides get_connection only)."""

    def __init__(self, host: str) -> None:
        self.host = host

    def get_connection(self, conn_id: str, team_name: str | None = None) -> Any:
        from airflow.sdk import Connection  # type: ignore[import-not-found]

        if conn_id != "object_conn":
            return None
        return Connection(conn_id=conn_id, conn_type="http", host=self.host, port=8080)
