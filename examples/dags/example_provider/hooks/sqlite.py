"""A provider hook for SQLite, written with the standard library's `sqlite3` (the apache-airflow-providers-sqlite
distribution is not bundled with riir-airflow). The connection's `host` is the database file, as in that provider."""

from __future__ import annotations

import sqlite3
from typing import Any

from airflow.sdk import BaseHook


class ExampleSqliteHook(BaseHook):
    conn_name_attr = "sqlite_conn_id"
    default_conn_name = "example_sqlite_default"
    conn_type = "example_sqlite"
    hook_name = "Example SQLite"

    def __init__(self, sqlite_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.sqlite_conn_id = sqlite_conn_id

    def get_conn(self) -> sqlite3.Connection:
        connection = self.get_connection(self.sqlite_conn_id)
        if not connection.host:
            raise ValueError(f"Connection {self.sqlite_conn_id!r} names no database file (its host is empty)")
        return sqlite3.connect(connection.host)

    def run(self, sql: str, parameters: tuple[Any, ...] = ()) -> None:
        with self.get_conn() as conn:
            conn.execute(sql, parameters)

    def get_records(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.get_conn() as conn:
            return list(conn.execute(sql, parameters).fetchall())
