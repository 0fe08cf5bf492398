"""Numbered SQL migrations (`migrations/NNNN_name.sql`) and the `riir_schema_version` table.

Each migration runs in its own transaction that first takes a transaction-level advisory lock, so two processes
migrating at once serialize and the second one finds the work done (transaction-level locks also work through
pgbouncer in transaction mode, session locks would not).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Conn = asyncpg.Connection | PoolConnectionProxy
VERSION_TABLE = "riir_schema_version"
# pg_advisory_xact_lock key: first 8 bytes of sha256("riir-airflow migrate"), as a signed bigint.
MIGRATION_LOCK_KEY = int.from_bytes(hashlib.sha256(b"riir-airflow migrate").digest()[:8], "big", signed=True)
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

# Everything the migrations create, dropped by `db reset` (ours only: the database may hold other tables).
OWNED_TABLES = (
    "team",  # 0022
    "task_state_store",  # 0016
    "connection_test_request",  # 0016
    "dag_favorite",  # 0015
    "asset_active",  # 0020
    "asset_dag_run_queue",  # 0012
    "dag_schedule_asset_alias_reference",  # 0012
    "dag_schedule_asset_reference",  # 0012
    "dagrun_asset_event",  # 0008
    "deadline",  # 0011
    "task_reschedule",  # 0002
    "dag_schedule_lease",  # 0002
    "event",
    "app",
    "hitl_detail",
    "asset_state",
    "asset_alias_asset_event",
    "asset_alias",
    "asset_event",
    "asset",
    "pool",
    "connection",
    "variable",
    "task_log",
    "xcom",
    "task_instance_history",
    "task_instance",
    "dag_run",
    "backfill",
    "dag_version",
    "dag",
    "riir_app_grant",
    "riir_row_count",  # 0007
    VERSION_TABLE,
)
OWNED_FUNCTIONS = (
    "riir_notify_run_created",
    "riir_notify_task_state",
    "riir_notify_dag_paused",
    "riir_notify_app_registered",
    "riir_dag_channel",  # 0010
    "riir_count_inserted",  # 0007
    "riir_count_deleted",
    "riir_count_moved",
    "riir_count_truncated",
    "riir_confined",
    "riir_my_dag_ids",
    "riir_may",
    "riir_limit_app_registration",
    "riir_lock_pools",
    "riir_pool_usage",
    "riir_trigger_dag_run",
    "riir_external_task_count",
    "riir_read_xcoms",  # 0011
    "riir_dag_run_state",  # 0012
    "riir_reset_dag_run",
    "riir_external_count",
    "riir_queue_asset_consumers",
    "riir_asset_event_queued",
    "riir_alias_event_queued",
    "riir_record_watcher_event",
    "riir_declare_asset",
    "riir_declare_asset_alias",
    "riir_link_alias_event",
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class SchemaStatus:
    """What `db check` reports: applied versions, versions still to apply, and files changed after applying."""

    applied: list[int]
    pending: list[Migration]
    changed: list[int]
    unknown: list[int]  # applied in the database but not shipped with this version (a newer riir-airflow)

    @property
    def up_to_date(self) -> bool:
        return not self.pending and not self.changed and not self.unknown


def load_migrations() -> list[Migration]:
    """The shipped migrations in version order."""
    found = []
    # A plain folder walk: importlib.resources would import tempfile and zipfile (~0.7 MB) into the broker, which
    # checks the schema at start and then idles.
    for entry in (Path(__file__).parent / "migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version number: {versions}")
    return found


_CREATE_VERSION_TABLE = f"""
CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)"""


async def _applied(conn: Conn) -> dict[int, str]:
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", VERSION_TABLE)
    if not exists:
        return {}
    rows = await conn.fetch(f"SELECT version, checksum FROM {VERSION_TABLE}")
    return {row["version"]: row["checksum"] for row in rows}


async def migrate(conn: Conn, *, default_pool_slots: int = 128) -> list[Migration]:
    """Apply every pending migration, each in its own locked transaction. Returns the ones this call applied."""
    done: list[Migration] = []
    for migration in load_migrations():
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
            await conn.execute(_CREATE_VERSION_TABLE)
            if await conn.fetchval(f"SELECT 1 FROM {VERSION_TABLE} WHERE version = $1", migration.version):
                continue  # another process applied it while we waited for the lock
            await conn.execute(migration.sql)
            await conn.execute(
                f"INSERT INTO {VERSION_TABLE} (version, name, checksum) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
            done.append(migration)
    async with conn.transaction():
        # Airflow creates default_pool at `db migrate` with [core] default_pool_task_slot_count slots.
        await conn.execute(
            "INSERT INTO pool (pool, slots, description, include_deferred) VALUES ('default_pool', $1, "
            "'Default pool', false) ON CONFLICT (pool) DO NOTHING",
            default_pool_slots,
        )
    return done


async def check(conn: Conn) -> SchemaStatus:
    """Compare the database's version table with the shipped migrations."""
    applied = await _applied(conn)
    shipped = {m.version: m for m in load_migrations()}
    return SchemaStatus(
        applied=sorted(applied),
        pending=[m for v, m in sorted(shipped.items()) if v not in applied],
        changed=sorted(v for v, digest in applied.items() if v in shipped and shipped[v].checksum != digest),
        unknown=sorted(v for v in applied if v not in shipped),
    )


class NotRiirMetastore(Exception):
    """`db reset` was pointed at a database riir-airflow did not migrate (it would drop someone else's tables)."""


async def drop_all(conn: Conn) -> list[str]:
    """Drop the tables and functions the migrations created, under the migration lock, and nothing else.

    Only in a database that holds riir-airflow's version table; never with CASCADE, so an object that is not ours
    but depends on one of our tables (a view, a foreign key of another application's table) stops the reset with
    PostgreSQL's message instead of being dropped silently. Returns the dropped tables."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
        if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", VERSION_TABLE):
            raise NotRiirMetastore(
                f"This database has no {VERSION_TABLE} table: it was not created by `riir-airflow db migrate`, so "
                "`db reset` drops nothing in it (an Airflow database is not riir-airflow's to reset)."
            )
        # Functions returning a table's rows (migration 0018) depend on its row type: they go before the tables.
        await _drop_functions(conn, returning_rows=True)
        present = [t for t in OWNED_TABLES if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", t)]
        pending = list(present)
        # Our tables reference each other: drop those nothing else references first, until none is left.
        while pending:
            progress = False
            for table in list(pending):
                referenced_by = await conn.fetchval(
                    "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = to_regclass($1) "
                    "AND conrelid <> confrelid AND conrelid::regclass::text = ANY($2::text[])",
                    table, [t for t in pending if t != table],
                )  # fmt: skip
                if referenced_by == 0:
                    await conn.execute(f'DROP TABLE "{table}"')  # no CASCADE: foreign dependents make this fail
                    pending.remove(table)
                    progress = True
            if not progress:
                raise RuntimeError(f"db reset: cannot find a drop order for {pending}")
        await _drop_functions(conn, returning_rows=False)
    return present


async def _drop_functions(conn: Conn, *, returning_rows: bool) -> None:
    """Drops our functions: the listed ones and any other `riir_`-prefixed one a later migration added; with
    `returning_rows` only those whose result is a table's row type."""
    functions = await conn.fetch(
        "SELECT p.oid::regprocedure::text AS signature FROM pg_proc p "
        "WHERE (p.proname = ANY($1::text[]) OR p.proname LIKE 'riir\\_%') "
        "AND p.pronamespace = current_schema()::regnamespace "
        "AND (NOT $2 OR EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = p.prorettype AND t.typrelid <> 0))",
        list(OWNED_FUNCTIONS), returning_rows,
    )  # fmt: skip
    for row in functions:
        await conn.execute(f"DROP FUNCTION {row['signature']}")


async def reset(conn: Conn, *, default_pool_slots: int = 128) -> list[Migration]:
    """Drop everything and migrate from scratch."""
    await drop_all(conn)
    return await migrate(conn, default_pool_slots=default_pool_slots)
