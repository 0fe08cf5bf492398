"""Airflow's default connections (`airflow connections create-default-connections`, `POST /connections/defaults`):
the list comes from Airflow 3.3.2 (default_connections.json). Connections that exist already are left alone."""

from __future__ import annotations

import json
from importlib import resources

from riir_airflow.metastore import secrets
from riir_airflow.metastore.queries import Db
from riir_airflow.metastore.records import ConnectionRecord


def default_connections() -> list[ConnectionRecord]:
    specs = json.loads(resources.files("riir_airflow.metastore").joinpath("default_connections.json").read_text())
    out = []
    for spec in specs:
        extra = spec.get("extra")
        port = spec.get("port")
        out.append(ConnectionRecord(
            conn_id=spec["conn_id"], conn_type=spec.get("conn_type") or "", description=spec.get("description"),
            host=spec.get("host"), schema=spec.get("schema"), login=spec.get("login"), password=spec.get("password"),
            port=int(port) if port not in (None, "") else None,
            extra=json.dumps(extra) if isinstance(extra, dict) else extra,
        ))  # fmt: skip
    return out


async def create_default_connections(db: Db) -> tuple[int, int]:
    """(created, of how many defaults)."""
    defaults = default_connections()
    created = 0
    for connection in defaults:
        if await secrets.get_connection_record(db, connection.conn_id) is None:
            await secrets.set_connection(db, connection)
            created += 1
    return created, len(defaults)
