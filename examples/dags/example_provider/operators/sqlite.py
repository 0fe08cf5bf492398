"""A custom operator written the provider way: a `BaseOperator` subclass with templated fields, a UI colour, and
all its work in `execute()` through the provider's hook (never at import time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator
from example_provider.hooks.sqlite import ExampleSqliteHook


class SqliteRowCountOperator(BaseOperator):
    """Counts the rows of `table` (templated) and returns the count as its XCom."""

    template_fields: Sequence[str] = ("table",)
    ui_color = "#c2e5ff"

    def __init__(self, *, table: str, sqlite_conn_id: str = ExampleSqliteHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.table = table
        self.sqlite_conn_id = sqlite_conn_id

    def execute(self, context: Any) -> int:
        hook = ExampleSqliteHook(sqlite_conn_id=self.sqlite_conn_id)
        (count,) = hook.get_records(f'SELECT count(*) FROM "{self.table}"')[0]
        self.log.info("%s has %s rows", self.table, count)
        return int(count)
