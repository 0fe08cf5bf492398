"""A custom operator and a provider hook (SQLite), written the provider way (see `example_provider/`): a TaskFlow
task fills a table through the hook, the provider's operator counts its rows.

The connection `example_sqlite_default` comes from an `AIRFLOW_CONN_...` environment variable, set below when
missing so the example runs anywhere; in a deployment define it with `riir-airflow connections add`.
"""

from __future__ import annotations

import os
import tempfile
from urllib.parse import quote

import pendulum

from airflow.sdk import DAG, task
from example_provider.hooks.sqlite import ExampleSqliteHook
from example_provider.operators.sqlite import SqliteRowCountOperator

# The database file is the connection's host, URL-encoded in the URI (as for Airflow's sqlite provider).
DATABASE = os.path.join(tempfile.gettempdir(), "riir_example.db")
os.environ.setdefault("AIRFLOW_CONN_EXAMPLE_SQLITE_DEFAULT", f"example-sqlite://{quote(DATABASE, safe='')}")

with DAG(
    dag_id="example_custom_provider",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    tags=["example"],
):

    @task
    def fill(run_id: str | None = None) -> int:
        hook = ExampleSqliteHook()
        hook.run("CREATE TABLE IF NOT EXISTS events (run_id TEXT PRIMARY KEY)")
        hook.run("INSERT OR REPLACE INTO events VALUES (?)", (run_id,))
        return 1

    fill() >> SqliteRowCountOperator(task_id="count_events", table="events")
