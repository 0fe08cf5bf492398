"""`db clean`, `db export-archived`, `db drop-archived`: purge old rows as Airflow's db cleanup does.

Each cleanable table has a recency column; rows older than the cut-off are copied into an archive table named as
Airflow names them (`_airflow_deleted__<table>__<YYYYMMDDHHMMSS>`, unless `skip_archive`) and deleted, table by
table, children before their runs (a run's deletion cascades to its rows). The newest run of each DAG is kept, so
that its timetable still knows where it stands. The cleaned tables are vacuumed and analyzed afterwards.
"""

from __future__ import annotations

import csv
import datetime
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import asyncpg

from riir_airflow.exceptions import AirflowBadRequest
from riir_airflow.metastore.connections import ConnectionBudget
from riir_airflow.metastore.queries import Db, transaction

ARCHIVE_TABLE_PREFIX = "_airflow_deleted__"


@dataclass(frozen=True)
class CleanableTable:
    name: str
    recency_column: str
    keep_last_run: bool = False


# Children first: deleting a run cascades to its task instances, XComs and logs, which are archived before.
TABLES: tuple[CleanableTable, ...] = (
    CleanableTable("task_log", "timestamp"),
    CleanableTable("xcom", "timestamp"),
    CleanableTable("task_instance_history", "start_date"),
    CleanableTable("task_instance", "start_date"),
    CleanableTable("dag_run", "start_date", keep_last_run=True),
    CleanableTable("asset_event", "timestamp"),
    CleanableTable("event", "dttm"),
)
# Airflow's name for the audit log table is `log`; riir's is `event`.
ALIASES = {"log": "event"}


def resolve_tables(names: Collection[str] | None) -> list[CleanableTable]:
    if not names:
        return list(TABLES)
    wanted = {ALIASES.get(n, n) for n in names}
    unknown = wanted - {t.name for t in TABLES}
    if unknown:
        known = ", ".join(sorted([t.name for t in TABLES] + list(ALIASES)))
        raise AirflowBadRequest(f"Unknown table(s) {sorted(unknown)}; choose from: {known}")
    return [t for t in TABLES if t.name in wanted]


def _where(table: CleanableTable, before: datetime.datetime, dag_ids: Sequence[str],
           exclude: Sequence[str]) -> tuple[str, list[object]]:  # fmt: skip
    clauses = [f'"{table.recency_column}" < $1']
    args: list[object] = [before]
    has_dag_id = table.name != "asset_event"
    if dag_ids and has_dag_id:
        args.append(list(dag_ids))
        clauses.append(f"dag_id = ANY(${len(args)}::text[])")
    if exclude and has_dag_id:
        args.append(list(exclude))
        clauses.append(f"NOT (dag_id = ANY(${len(args)}::text[]))")
    if table.keep_last_run:
        clauses.append(
            "id NOT IN (SELECT DISTINCT ON (dag_id) id FROM dag_run ORDER BY dag_id, run_after DESC, id DESC)"
        )
    return " AND ".join(clauses), args


async def clean(
    db: Db,
    before: datetime.datetime,
    *,
    tables: Collection[str] | None = None,
    dag_ids: Sequence[str] = (),
    exclude_dag_ids: Sequence[str] = (),
    dry_run: bool = False,
    skip_archive: bool = False,
) -> dict[str, int]:
    """Rows deleted (or, with `dry_run`, to delete) per table, all in one transaction."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S")
    counts: dict[str, int] = {}
    async with transaction(db) as conn:
        for table in resolve_tables(tables):
            where, args = _where(table, before, dag_ids, exclude_dag_ids)
            counts[table.name] = int(await conn.fetchval(f"SELECT count(*) FROM {table.name} WHERE {where}", *args))
            if dry_run or not counts[table.name]:
                continue
            if not skip_archive:
                archive = f"{ARCHIVE_TABLE_PREFIX}{table.name}__{stamp}"
                await conn.execute(f'CREATE TABLE "{archive}" AS SELECT * FROM {table.name} WHERE {where}', *args)
            await conn.execute(f"DELETE FROM {table.name} WHERE {where}", *args)
    if not dry_run:
        await vacuum(db, [name for name, n in counts.items() if n])
    return counts


async def vacuum(db: Db, tables: Sequence[str]) -> None:
    """VACUUM (ANALYZE) the cleaned tables right away (not in a transaction: VACUUM refuses one), so that listings
    do not wade through the deleted rows' dead index entries until autovacuum comes by, and the planner's statistics
    know the tables shrank. Airflow's db clean leaves this to autovacuum."""
    for name in tables:
        if isinstance(db, (asyncpg.Pool, ConnectionBudget)):
            async with db.acquire() as conn:
                await conn.execute(f"VACUUM (ANALYZE) {name}")
        elif not db.is_in_transaction():  # inside a caller's transaction the caller vacuums, if it wants to
            await db.execute(f"VACUUM (ANALYZE) {name}")


async def archive_tables(db: Db, tables: Collection[str] | None = None) -> list[str]:
    async with transaction(db) as conn:
        names = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE $1 ORDER BY 1",
            ARCHIVE_TABLE_PREFIX.replace("_", r"\_") + "%",
        )]  # fmt: skip
    if tables:
        wanted = {ALIASES.get(t, t) for t in tables}
        names = [n for n in names if n[len(ARCHIVE_TABLE_PREFIX) :].rsplit("__", 1)[0] in wanted]
    return names


async def export_archived(db: Db, output_path: str, tables: Collection[str] | None = None) -> list[str]:
    """Writes each archive table to `<output_path>/<archive table>.csv`; returns the files written."""
    os.makedirs(output_path, exist_ok=True)
    written = []
    for name in await archive_tables(db, tables):
        async with transaction(db) as conn:
            records = await conn.fetch(f'SELECT * FROM "{name}"')
            columns = [a.name for a in (await conn.prepare(f'SELECT * FROM "{name}" LIMIT 0')).get_attributes()]
        path = os.path.join(output_path, f"{name}.csv")
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows([list(r.values()) for r in records])
        written.append(path)
    return written


async def drop_archived(db: Db, tables: Collection[str] | None = None) -> list[str]:
    names = await archive_tables(db, tables)
    async with transaction(db) as conn:
        for name in names:
            await conn.execute(f'DROP TABLE "{name}"')
    return names
