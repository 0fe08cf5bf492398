"""Typed metastore operations in plain SQL. Each public function is one transaction.

`db` is a pool or a connection made by `pool.create_pool` / `pool.connect` (they install the JSON codecs these
functions rely on: jsonb columns are Python values both ways). Given a pool, a function takes a connection for its
own transaction. Given a connection that is already inside a transaction, the function's work simply joins it, so
callers can compose several operations into one transaction, e.g. "finish a try + XCom + claim the next tries":

    async with conn.transaction():
        await record_task_result(conn, ti.id, ti.try_number, "success", xcoms={"return_value": 42})
        await set_task_states(conn, dag_id, run_id, [StateChange("next", "scheduled", (None,))])
        await claim_ready_tries(conn, app_id=..., hostname=..., dag_ids=[dag_id], limit=8)

The statements a task hop runs on every try (claim, result, state changes) are SQL functions of migration 0018,
one statement each, called from here and from `app_queries`.

State changes are compare-and-set: the caller names the states it expects, and a row whose state moved on in the
meantime is left alone (the function reports what it changed). Listing functions return a `Page` with
`total_entries`, filter on Airflow's REST API parameters and accept Airflow's `order_by` (`-field` = descending).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from riir_airflow.exceptions import AirflowBadRequest, DagNotFound, DagRunAlreadyExists
from riir_airflow.metastore.connections import ConnectionBudget
from riir_airflow.metastore.records import (
    FINISHED_TASK_STATES,
    AppRecord,
    AssetEventRecord,
    AssetRecord,
    BackfillRecord,
    DagRecord,
    DagRunRecord,
    DagVersionRecord,
    DeployIdentity,
    EventRecord,
    LogLine,
    NewTaskInstance,
    Page,
    PoolRecord,
    PoolUsage,
    StateChange,
    TaskInstanceHistoryRecord,
    TaskInstanceKey,
    TaskInstanceRecord,
    XComRecord,
    from_row,
    from_rows,
)

Db = asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy | ConnectionBudget
Conn = asyncpg.Connection | PoolConnectionProxy
T = TypeVar("T")

# States that end a try: it is copied to task_instance_history.
_TRY_ENDING_STATES = (*FINISHED_TASK_STATES, "up_for_retry")


@asynccontextmanager
async def transaction(db: Db) -> AsyncIterator[Conn]:
    """A connection inside a transaction. A connection already inside one is used as it is (no savepoint, which
    would cost two more round trips): an error then aborts the caller's whole transaction."""
    if isinstance(db, (asyncpg.Pool, ConnectionBudget)):
        async with db.acquire() as conn, conn.transaction():
            yield conn
    elif db.is_in_transaction():
        yield db
    else:
        async with db.transaction():
            yield db


@asynccontextmanager
async def _one_statement(db: Db) -> AsyncIterator[Conn]:
    """A connection for a single statement, which is atomic on its own: no BEGIN/COMMIT round trips."""
    if isinstance(db, (asyncpg.Pool, ConnectionBudget)):
        async with db.acquire() as conn:
            yield conn
    else:
        yield db


class _Filters:
    """WHERE clauses with numbered parameters."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = []

    def add(self, clause: str, *values: Any) -> None:
        """`clause` uses `{}` once per value, replaced by `$n`."""
        numbers = []
        for value in values:
            self.args.append(value)
            numbers.append(f"${len(self.args)}")
        self.clauses.append(clause.format(*numbers))

    def where(self) -> str:
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""

    def page(self, limit: int, offset: int) -> str:
        if limit < 0 or offset < 0:
            raise AirflowBadRequest("limit and offset must not be negative")
        self.args += [limit, offset]
        return f"LIMIT ${len(self.args) - 1} OFFSET ${len(self.args)}"


def _order(order_by: str | Sequence[str], allowed: Collection[str], tiebreak: str) -> str:
    """Airflow's `order_by` (`field` or `-field`, several allowed) as ORDER BY, only on known columns."""
    fields = [order_by] if isinstance(order_by, str) else list(order_by)
    parts = []
    for field in fields:
        name = field.removeprefix("-")
        if name not in allowed:
            raise AirflowBadRequest(
                f"Ordering with '{name}' is disallowed or the attribute does not exist on the model"
            )
        parts.append(f'"{name}" {"DESC" if field.startswith("-") else "ASC"}')
    parts.append(tiebreak)
    return "ORDER BY " + ", ".join(parts)


# Tables whose rows per DAG are counted by triggers (migration 0007) and the filters a count may come from them.
COUNTED_TABLES = frozenset({"dag_run", "task_instance", "xcom", "event"})


@dataclass(frozen=True)
class Counted:
    """`total_entries` from the per-DAG row counters: every row of `table` (dag_ids None) or of some DAGs. Only for
    lists filtered by nothing but their DAG; any other filter counts the rows."""

    table: str
    dag_ids: Sequence[str] | None = None


def _counted_sql(counted: Counted, args: list[Any]) -> str:
    """The counters' sum for `counted` as SQL, its values appended to `args` (numbered after what is there)."""
    if counted.table not in COUNTED_TABLES:
        raise ValueError(f"{counted.table} has no row counters")
    args.append(counted.table)
    query = f"SELECT coalesce(sum(n), 0) FROM riir_row_count WHERE table_name = ${len(args)}"
    if counted.dag_ids is not None:
        args.append(list(counted.dag_ids))
        query += f" AND dag_id = ANY(${len(args)}::text[])"
    return query


async def _page(
    db: Db, cls: type[T], table: str, filters: _Filters, order: str, limit: int, offset: int,
    counted: Counted | None = None,
) -> Page[T]:  # fmt: skip
    rows, total = await _page_rows(db, table, filters, order, limit, offset, counted)
    return Page(from_rows(cls, rows), total)


async def _page_rows(
    db: Db, table: str, filters: _Filters, order: str, limit: int, offset: int, counted: Counted | None = None,
    *, joined: str = "", joined_args: Sequence[Any] = (),
) -> tuple[list[asyncpg.Record], int]:  # fmt: skip
    """One page of `table`'s rows and the number of rows the filters match, in one statement (the count is a
    subquery PostgreSQL runs once): a list page is one round trip, and one statement needs no transaction to see one
    snapshot. `joined`: LEFT JOINs adding columns to each row of the page (named apart from the table's: the page's
    ORDER BY is applied again over the joined rows), with a `{}` for each of `joined_args` (replaced by `$n`)."""
    where = filters.where()
    where_args = list(filters.args)  # before the page's limit and offset join them

    def total_sql(args: list[Any]) -> str:
        return f"SELECT count(*) FROM {table} {where}" if counted is None else _counted_sql(counted, args)

    page_sql = filters.page(limit, offset)
    args = list(filters.args)
    query = f"SELECT *, ({total_sql(args)}) AS riir_total_entries FROM {table} {where} {order} {page_sql}"
    if joined:
        numbers = [f"${len(args) + i}" for i in range(1, len(joined_args) + 1)]
        args += joined_args
        query = f"SELECT * FROM ({query}) {table} {joined.format(*numbers)} {order}"
    async with _one_statement(db) as conn:
        rows = await conn.fetch(query, *args)
        if rows:
            return rows, int(rows[0]["riir_total_entries"])
        if offset == 0:
            return rows, 0
        # Past the last row: the page has no row to carry the count. The counters' sum takes only its own values.
        count_args = where_args if counted is None else []
        return rows, int(await conn.fetchval(total_sql(count_args), *count_args))


# --- DAGs ----------------------------------------------------------------------------------------------------------
async def upsert_dag(
    db: Db,
    dag_id: str,
    *,
    fileloc: str = "",
    relative_fileloc: str | None = None,
    owners: str = "",
    tags: Sequence[str] = (),
    description: str | None = None,
    dag_display_name: str | None = None,
    timetable_summary: str | None = None,
    timetable_description: str | None = None,
    max_active_tasks: int = 16,
    max_active_runs: int = 16,
    max_consecutive_failed_dag_runs: int = 0,
    has_task_concurrency_limits: bool = False,
    is_paused_upon_creation: bool = True,
    app_id: str | None = None,
) -> DagRecord:
    """Create or refresh a DAG's row (an app serving it). `is_paused` is only set on creation; the DAG is un-staled."""
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            """
            INSERT INTO dag (dag_id, fileloc, relative_fileloc, owners, tags, description, dag_display_name,
                timetable_summary, timetable_description, max_active_tasks, max_active_runs,
                max_consecutive_failed_dag_runs, has_task_concurrency_limits, is_paused, app_id, last_parsed_time)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now())
            ON CONFLICT (dag_id) DO UPDATE SET fileloc = EXCLUDED.fileloc, relative_fileloc = EXCLUDED.relative_fileloc,
                owners = EXCLUDED.owners, tags = EXCLUDED.tags, description = EXCLUDED.description,
                dag_display_name = EXCLUDED.dag_display_name, timetable_summary = EXCLUDED.timetable_summary,
                timetable_description = EXCLUDED.timetable_description,
                max_active_tasks = EXCLUDED.max_active_tasks, max_active_runs = EXCLUDED.max_active_runs,
                max_consecutive_failed_dag_runs = EXCLUDED.max_consecutive_failed_dag_runs,
                has_task_concurrency_limits = EXCLUDED.has_task_concurrency_limits, app_id = EXCLUDED.app_id,
                is_stale = false, last_parsed_time = now(), updated_at = now()
            RETURNING *
            """,
            dag_id, fileloc, relative_fileloc, owners, list(tags), description, dag_display_name, timetable_summary,
            timetable_description, max_active_tasks, max_active_runs, max_consecutive_failed_dag_runs,
            has_task_concurrency_limits, is_paused_upon_creation, app_id,
        )  # fmt: skip
    return from_row(DagRecord, row)


async def get_dag(db: Db, dag_id: str) -> DagRecord | None:
    async with transaction(db) as conn:
        row = await conn.fetchrow("SELECT * FROM dag WHERE dag_id = $1", dag_id)
    return None if row is None else from_row(DagRecord, row)


async def set_dag_paused(db: Db, dag_id: str, is_paused: bool) -> DagRecord:
    """Pause or unpause; listeners of `riir_dag_paused` are told when the value changes."""
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            "UPDATE dag SET is_paused = $2, updated_at = now() WHERE dag_id = $1 RETURNING *", dag_id, is_paused
        )
    if row is None:
        raise DagNotFound(f"Dag with id {dag_id} was not found")
    return from_row(DagRecord, row)


async def set_next_dagrun(
    db: Db,
    dag_id: str,
    *,
    next_dagrun: datetime.datetime | None,
    data_interval_start: datetime.datetime | None,
    data_interval_end: datetime.datetime | None,
    create_after: datetime.datetime | None,
) -> None:
    """Record the next run the timetable will create (shown by the API as next_dagrun_*): one statement."""
    async with _one_statement(db) as conn:
        await conn.execute(
            "UPDATE dag SET next_dagrun = $2, next_dagrun_data_interval_start = $3, "
            "next_dagrun_data_interval_end = $4, next_dagrun_create_after = $5, updated_at = now() WHERE dag_id = $1",
            dag_id, plain_datetime(next_dagrun), plain_datetime(data_interval_start),
            plain_datetime(data_interval_end), plain_datetime(create_after),
        )  # fmt: skip


async def mark_dags_stale(db: Db, dag_ids: Collection[str]) -> int:
    """Retire DAGs no app serves any more. Returns how many changed."""
    async with transaction(db) as conn:
        status = await conn.execute(
            "UPDATE dag SET is_stale = true, updated_at = now() WHERE dag_id = ANY($1::text[]) AND NOT is_stale",
            list(dag_ids),
        )
    return int(status.split()[-1])


async def list_dags(
    db: Db,
    *,
    dag_id_pattern: str | None = None,
    tags: Collection[str] = (),
    paused: bool | None = None,
    exclude_stale: bool = True,
    owners: Collection[str] = (),
    order_by: str | Sequence[str] = "dag_id",
    limit: int = 50,
    offset: int = 0,
) -> Page[DagRecord]:
    """DAGs filtered like GET /api/v2/dags (`dag_id_pattern` is a SQL LIKE pattern matched case-insensitively)."""
    filters = _Filters()
    if dag_id_pattern:
        filters.add("dag_id ILIKE {}", f"%{dag_id_pattern}%" if "%" not in dag_id_pattern else dag_id_pattern)
    if tags:
        filters.add("tags && {}::text[]", list(tags))
    if paused is not None:
        filters.add("is_paused = {}", paused)
    if exclude_stale:
        filters.add("NOT is_stale")
    if owners:
        filters.add("owners = ANY({}::text[])", list(owners))
    allowed = ("dag_id", "dag_display_name", "next_dagrun", "last_parsed_time", "is_paused", "fileloc")
    return await _page(db, DagRecord, "dag", filters, _order(order_by, allowed, "dag_id"), limit, offset)


async def add_dag_version(
    db: Db,
    dag_id: str,
    data: Any,
    dag_hash: str,
    *,
    bundle_name: str | None = None,
    bundle_version: str | None = None,
    identity: DeployIdentity | None = None,
) -> DagVersionRecord:
    """The DAG's latest version if its hash (and deploy identity) is unchanged, else a new version numbered one
    higher: the same code deployed by someone else or from another image is a new version of the DAG."""
    who = identity or DeployIdentity()
    async with transaction(db) as conn:
        # The dag row lock serializes version numbering between app replicas.
        if await conn.fetchval("SELECT 1 FROM dag WHERE dag_id = $1 FOR UPDATE", dag_id) is None:
            raise DagNotFound(f"Dag with id {dag_id} was not found")
        latest = await conn.fetchrow(
            "SELECT * FROM dag_version WHERE dag_id = $1 ORDER BY version_number DESC LIMIT 1", dag_id
        )
        if latest is not None and latest["dag_hash"] == dag_hash and DeployIdentity.of(latest) == who:
            return from_row(DagVersionRecord, latest)
        row = await conn.fetchrow(
            "INSERT INTO dag_version (id, dag_id, version_number, dag_hash, data, bundle_name, bundle_version, "
            "deployed_by, service_account, image, environment) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *",
            uuid.uuid4(), dag_id, (latest["version_number"] if latest else 0) + 1, dag_hash, data, bundle_name,
            bundle_version, who.deployed_by, who.service_account, who.image, who.environment,
        )  # fmt: skip
    return from_row(DagVersionRecord, row)


async def get_dag_version(db: Db, dag_id: str, version_number: int | None = None) -> DagVersionRecord | None:
    """A given version of a DAG, or its latest one."""
    async with transaction(db) as conn:
        if version_number is None:
            row = await conn.fetchrow(
                "SELECT * FROM dag_version WHERE dag_id = $1 ORDER BY version_number DESC LIMIT 1", dag_id
            )
        else:
            row = await conn.fetchrow(
                "SELECT * FROM dag_version WHERE dag_id = $1 AND version_number = $2", dag_id, version_number
            )
    return None if row is None else from_row(DagVersionRecord, row)


async def list_dag_versions(db: Db, dag_id: str, *, limit: int = 50, offset: int = 0) -> Page[DagVersionRecord]:
    filters = _Filters()
    filters.add("dag_id = {}", dag_id)
    order = _order("version_number", ("version_number", "created_at"), "id")
    return await _page(db, DagVersionRecord, "dag_version", filters, order, limit, offset)


# --- DAG runs ------------------------------------------------------------------------------------------------------
async def create_dag_run(
    db: Db,
    dag_id: str,
    run_id: str,
    *,
    run_type: str,
    tasks: Sequence[NewTaskInstance] = (),
    logical_date: datetime.datetime | None = None,
    data_interval: tuple[datetime.datetime, datetime.datetime] | None = None,
    run_after: datetime.datetime | None = None,
    conf: Mapping[str, Any] | None = None,
    state: str = "queued",
    dag_version_id: uuid.UUID | None = None,
    backfill_id: int | None = None,
    triggered_by: str | None = None,
    triggering_user_name: str | None = None,
    note: str | None = None,
    partition_key: str | None = None,
    partition_date: datetime.datetime | None = None,
) -> DagRunRecord:
    """Create a run and its task instances together. DagRunAlreadyExists if the run_id or logical_date is taken."""
    try:
        async with transaction(db) as conn:
            row = await conn.fetchrow(
                """
                INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, data_interval_start, data_interval_end,
                    run_after, conf, state, queued_at, dag_version_id, backfill_id, triggered_by,
                    triggering_user_name, note, start_date, partition_key, partition_date)
                VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()), $8, $9, now(), $10, $11, $12, $13, $14,
                    CASE WHEN $9 = 'running' THEN now() END, $15, $16)
                RETURNING *
                """,
                dag_id, run_id, run_type, logical_date, data_interval[0] if data_interval else None,
                data_interval[1] if data_interval else None, run_after, dict(conf or {}), state, dag_version_id,
                backfill_id, triggered_by, triggering_user_name, note, partition_key, partition_date,
            )  # fmt: skip
            if tasks:
                await _insert_task_instances(conn, dag_id, run_id, tasks, dag_version_id)
    except asyncpg.UniqueViolationError as err:
        raise DagRunAlreadyExists(
            f"A DAG run for {dag_id} with run_id {run_id!r} or logical_date {logical_date} already exists"
        ) from err
    except asyncpg.ForeignKeyViolationError as err:
        raise DagNotFound(f"Dag with id {dag_id} was not found") from err
    return from_row(DagRunRecord, row)


async def _insert_task_instances(
    conn: Conn, dag_id: str, run_id: str, tasks: Sequence[NewTaskInstance], dag_version_id: uuid.UUID | None
) -> None:
    await conn.execute(
        """
        INSERT INTO task_instance (id, dag_id, run_id, task_id, map_index, state, max_tries, pool, pool_slots, queue,
            priority_weight, operator, custom_operator_name, task_display_name, dag_version_id)
        SELECT t.id, $1, $2, t.task_id, t.map_index, t.state, t.max_tries, t.pool, t.pool_slots, t.queue,
            t.priority_weight, t.operator, t.custom_operator_name, t.task_display_name, $3
        FROM unnest($4::uuid[], $5::text[], $6::int[], $7::text[], $8::int[], $9::text[], $10::int[], $11::text[],
            $12::int[], $13::text[], $14::text[], $15::text[])
            AS t(id, task_id, map_index, state, max_tries, pool, pool_slots, queue, priority_weight, operator,
                 custom_operator_name, task_display_name)
        """,
        dag_id, run_id, dag_version_id, *task_instance_arrays(tasks),
    )  # fmt: skip


def plain_datetime(value: datetime.datetime | None) -> datetime.datetime | None:
    """A pendulum DateTime as a plain aware datetime for asyncpg, whose encoder subtracts its epoch from each value:
    pendulum's subtraction builds an Interval (a tenth of a millisecond, several times per loop turn)."""
    if value is None or type(value) is datetime.datetime:
        return value
    return datetime.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                             value.microsecond, tzinfo=value.tzinfo, fold=value.fold)  # fmt: skip


def task_instance_arrays(tasks: Sequence[NewTaskInstance]) -> list[list[Any]]:
    """New task instances as the column arrays the INSERTs above unnest (ids, task ids, map indexes, states, ...)."""
    return [
        [uuid.uuid4() for _ in tasks], [t.task_id for t in tasks], [t.map_index for t in tasks],
        [t.state for t in tasks], [t.max_tries for t in tasks], [t.pool for t in tasks], [t.pool_slots for t in tasks],
        [t.queue for t in tasks], [t.priority_weight for t in tasks], [t.operator for t in tasks],
        [t.custom_operator_name for t in tasks], [t.task_display_name for t in tasks],
    ]  # fmt: skip


async def add_task_instances(
    db: Db, dag_id: str, run_id: str, tasks: Sequence[NewTaskInstance], *, dag_version_id: uuid.UUID | None = None
) -> None:
    """Add task instances to an existing run (a mapped task expanding); existing keys are an error."""
    async with transaction(db) as conn:
        await _insert_task_instances(conn, dag_id, run_id, tasks, dag_version_id)


async def get_dag_run(db: Db, dag_id: str, run_id: str) -> DagRunRecord | None:
    async with transaction(db) as conn:
        row = await conn.fetchrow("SELECT * FROM dag_run WHERE dag_id = $1 AND run_id = $2", dag_id, run_id)
    return None if row is None else from_row(DagRunRecord, row)


async def set_dag_run_state(
    db: Db, dag_id: str, run_id: str, state: str, *, expected: Collection[str] | None = None
) -> DagRunRecord | None:
    """Move a run to `state` if its state is one of `expected` (any when None). None if nothing matched.

    Entering `running` sets start_date (once); entering success/failed sets end_date.
    """
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            """
            UPDATE dag_run SET state = $3, updated_at = now(),
                start_date = CASE WHEN $3 = 'running' THEN coalesce(start_date, now()) ELSE start_date END,
                end_date = CASE WHEN $3 IN ('success', 'failed') THEN now() WHEN $3 = 'queued' THEN NULL
                                ELSE end_date END,
                queued_at = CASE WHEN $3 = 'queued' THEN now() ELSE queued_at END
            WHERE dag_id = $1 AND run_id = $2 AND ($4::text[] IS NULL OR state = ANY($4::text[]))
            RETURNING *
            """,
            dag_id, run_id, state, None if expected is None else list(expected),
        )  # fmt: skip
        if row is not None and row["backfill_id"] is not None and state in ("success", "failed"):
            # A backfill is complete when its last run finished (Airflow's scheduler: _mark_backfills_complete).
            await conn.execute(
                "UPDATE backfill SET completed_at = now(), updated_at = now() WHERE id = $1 AND completed_at IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM dag_run WHERE backfill_id = $1 AND state IN ('queued', 'running'))",
                row["backfill_id"],
            )
    return None if row is None else from_row(DagRunRecord, row)


async def list_dag_runs(
    db: Db,
    *,
    dag_id: str | None = None,
    states: Collection[str] = (),
    run_types: Collection[str] = (),
    logical_date_gte: datetime.datetime | None = None,
    logical_date_lte: datetime.datetime | None = None,
    run_after_gte: datetime.datetime | None = None,
    run_after_lte: datetime.datetime | None = None,
    backfill_id: int | None = None,
    order_by: str | Sequence[str] = "id",
    limit: int = 50,
    offset: int = 0,
) -> Page[DagRunRecord]:
    """Runs filtered like GET /api/v2/dags/{dag_id}/dagRuns (dag_id None = `~`, all DAGs)."""
    filters = _Filters()
    if dag_id is not None:
        filters.add("dag_id = {}", dag_id)
    if states:
        filters.add("state = ANY({}::text[])", list(states))
    if run_types:
        filters.add("run_type = ANY({}::text[])", list(run_types))
    for column, op, value in (
        ("logical_date", ">=", logical_date_gte),
        ("logical_date", "<=", logical_date_lte),
        ("run_after", ">=", run_after_gte),
        ("run_after", "<=", run_after_lte),
    ):
        if value is not None:
            filters.add(f"{column} {op} {{}}", value)
    if backfill_id is not None:
        filters.add("backfill_id = {}", backfill_id)
    allowed = ("id", "dag_id", "run_id", "state", "run_type", "logical_date", "run_after", "start_date", "end_date",
               "queued_at", "data_interval_start", "data_interval_end", "updated_at")  # fmt: skip
    return await _page(db, DagRunRecord, "dag_run", filters, _order(order_by, allowed, "id"), limit, offset)


# --- task instances ------------------------------------------------------------------------------------------------
async def get_task_instance(db: Db, key: TaskInstanceKey) -> TaskInstanceRecord | None:
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            "SELECT * FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4",
            key.dag_id, key.run_id, key.task_id, key.map_index,
        )  # fmt: skip
    return None if row is None else from_row(TaskInstanceRecord, row)


async def set_task_states(db: Db, dag_id: str, run_id: str, changes: Sequence[StateChange]) -> list[TaskInstanceKey]:
    """Compare-and-set several task instances of one run at once; returns the keys that changed.

    Entering `scheduled` starts a new try (try_number + 1) unless the task resumes from up_for_reschedule or
    deferred, as in Airflow. Entering a finished state without running (skipped, upstream_failed, removed) stamps
    start/end dates (riir_set_task_states, migration 0018). Entering `success` from a state before running (an
    empty task Airflow's scheduler marks success without running it) is a try that starts and ends at once.
    """
    if not changes:
        return []
    async with _one_statement(db) as conn:
        rows = await conn.fetch(
            "SELECT * FROM riir_set_task_states($1, $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], "
            "$7::bool[])",
            dag_id, *state_change_arrays([(run_id, c) for c in changes]),
        )  # fmt: skip
    return [TaskInstanceKey(dag_id, run_id, row["changed_task_id"], row["changed_map_index"]) for row in rows]


def state_change_arrays(changes: Sequence[tuple[str, StateChange]]) -> tuple[list[Any], ...]:
    """(run_id, change) pairs as the column arrays riir_set_task_states takes: run ids, task ids, map indexes, new
    states, expected states (comma-separated) and whether no state is expected."""
    return (
        [run_id for run_id, _ in changes],
        [c.task_id for _, c in changes],
        [c.map_index for _, c in changes],
        [c.new_state for _, c in changes],
        [",".join(s for s in c.expected if s is not None) for _, c in changes],
        [None in c.expected for _, c in changes],
    )


async def set_task_state(
    db: Db, key: TaskInstanceKey, new_state: str | None, *, expected: Collection[str | None]
) -> bool:
    """Compare-and-set one task instance's state. True if it was in an `expected` state and changed."""
    change = StateChange(key.task_id, new_state, tuple(expected), key.map_index)
    return bool(await set_task_states(db, key.dag_id, key.run_id, [change]))


async def claim_ready_tries(
    db: Db, *, app_id: str, hostname: str, limit: int, dag_ids: Collection[str] | None = None
) -> list[TaskInstanceRecord]:
    """Take up to `limit` scheduled tries (highest priority_weight first) and mark them queued for this app.

    Concurrent claimers never get the same try (FOR UPDATE SKIP LOCKED), and pools are honoured across all apps, as
    Airflow's scheduler does: riir_claim_tries (migration 0018) says how.
    """
    if limit <= 0:
        return []
    async with _one_statement(db) as conn:
        rows = await conn.fetch(
            "SELECT * FROM riir_claim_tries($1::text[], $2, $3, $4, false)",
            None if dag_ids is None else list(dag_ids), app_id, hostname, limit,
        )  # fmt: skip
    return from_rows(TaskInstanceRecord, rows)


async def start_try(db: Db, ti_id: uuid.UUID, try_number: int, *, pid: int, hostname: str) -> TaskInstanceRecord | None:
    """queued -> running for this try; clears the task's XComs unless it resumes from a deferral. One statement, so
    atomic without BEGIN/COMMIT; its commit is synchronous (durable): it comes before the task process starts."""
    async with _one_statement(db) as conn:
        row = await conn.fetchrow(
            """
            WITH started AS (
                UPDATE task_instance SET state = 'running', pid = $3, hostname = $4, updated_at = now(),
                    start_date = CASE WHEN next_method IS NULL THEN now() ELSE coalesce(start_date, now()) END,
                    end_date = NULL, duration = NULL, last_heartbeat_at = now()
                WHERE id = $1 AND try_number = $2 AND state = 'queued'
                RETURNING *
            ), cleared AS (
                DELETE FROM xcom x USING started s
                WHERE s.next_method IS NULL AND x.dag_id = s.dag_id AND x.run_id = s.run_id
                  AND x.task_id = s.task_id AND x.map_index = s.map_index
            )
            SELECT * FROM started
            """,
            ti_id, try_number, pid, hostname,
        )  # fmt: skip
    return None if row is None else from_row(TaskInstanceRecord, row)


async def record_task_result(
    db: Db,
    ti_id: uuid.UUID,
    try_number: int,
    state: str,
    *,
    xcoms: Mapping[str, Any] | None = None,
    expected: Collection[str] = ("running",),
    rendered_fields: Any = None,
    rendered_map_index: str | None = None,
    next_method: str | None = None,
    next_kwargs: Any = None,
    asset_events: Sequence[Mapping[str, Any]] | None = None,
    cache_note: tuple[bool, str | None] | None = None,
    lease: tuple[str, int] | None = None,
    durable: bool = True,
    log: tuple[TaskInstanceKey, Sequence[str]] | None = None,
) -> TaskInstanceRecord | None:
    """End (or defer) a try: state, end_date/duration, history row, XComs and asset events, all or nothing.

    `log`: the try's last output lines (stdout), appended to its log in the same statement, whatever the result's
    fate (as `append_task_log` before it would).

    `cache_note` (a `cache="file"` task): (True, note) for a cache hit sets the note; (False, None) for a miss
    drops an earlier hit's note ("cached: ...") and keeps any other.

    Returns None, writing nothing, when the try is no longer in an `expected` state (e.g. it was cleared or
    another process already recorded it). XCom values are stored as JSON. Without asset events it is one statement
    (riir_record_result, migration 0018). `lease` = (dag_id, fencing token): written only while that token is the
    DAG's lease (SQLSTATE RI001 otherwise, `app_queries.Fenced` through `app_queries.fenced_errors`); `durable=False`
    commits without waiting for the WAL flush.
    """
    values = dict(xcoms or {})
    unit = transaction(db) if asset_events else _one_statement(db)
    args: list[Any] = [
        ti_id, try_number, state, list(expected), list(_TRY_ENDING_STATES), rendered_fields, rendered_map_index,
        next_method, next_kwargs, list(values), [json.dumps(v) for v in values.values()],
        None if cache_note is None else cache_note[0], None if cache_note is None else cache_note[1],
        None if lease is None else lease[0], None if lease is None else lease[1], durable,
    ]  # fmt: skip
    logged = ""
    if log is not None and log[1]:
        # A data-modifying WITH runs whether or not the query reads it: one round trip for the lines and the result.
        key, lines = log
        logged = (
            "WITH logged AS (INSERT INTO task_log (dag_id, run_id, task_id, map_index, try_number, stream, line) "
            "SELECT $17, $18, $19, $20, $2, 'stdout', line FROM unnest($21::text[]) WITH ORDINALITY AS l(line, n) "
            "ORDER BY n) "
        )
        args += [key.dag_id, key.run_id, key.task_id, key.map_index, list(lines)]
    async with unit as conn:
        row = await conn.fetchrow(
            f"{logged}SELECT * FROM riir_record_result($1, $2, $3, $4::text[], $5::text[], $6, $7, $8, $9, "
            "$10::text[], $11::text[], $12, $13, $14, $15, $16)",
            *args,
        )
        if row is not None and asset_events:
            from riir_airflow.metastore.asset_event_queries import insert_task_asset_events

            source = TaskInstanceKey(row["dag_id"], row["run_id"], row["task_id"], row["map_index"])
            await insert_task_asset_events(conn, source, asset_events)
    return None if row is None else from_row(TaskInstanceRecord, row)


async def heartbeat_task(db: Db, ti_id: uuid.UUID, try_number: int) -> bool:
    """Stamp a running try's heartbeat. False if the try is not running any more (the task should stop)."""
    async with transaction(db) as conn:
        status = await conn.execute(
            "UPDATE task_instance SET last_heartbeat_at = now() WHERE id = $1 AND try_number = $2 "
            "AND state = 'running'",
            ti_id, try_number,
        )  # fmt: skip
    return status.endswith(" 1")


async def clear_task_instances(
    db: Db,
    dag_id: str,
    run_id: str,
    *,
    task_ids: Collection[str] | None = None,
    only_failed: bool = False,
    retries_by_task: Mapping[str, int] | None = None,
    dag_run_state: str | None = "queued",
) -> list[TaskInstanceKey]:
    """Clear task instances of one run so they run again, as Airflow's clear does.

    A running try becomes `restarting` (its app stops it and it is retried); any other becomes state-less with
    `max_tries = try_number + retries` (retries of the task when given, else at least its tries so far) and no
    deferral leftovers. The run's queued_at is stamped; a finished run goes back to `dag_run_state` with a new
    start_date (None leaves the run alone). Returns the keys cleared.
    """
    retries = dict(retries_by_task or {})
    async with transaction(db) as conn:
        rows = await conn.fetch(
            """
            UPDATE task_instance ti SET
                state = CASE WHEN ti.state = 'running' THEN 'restarting' END,
                max_tries = CASE WHEN ti.state = 'running' THEN ti.max_tries ELSE coalesce(
                    (SELECT ti.try_number + r FROM unnest($5::text[], $6::int[]) AS m(t, r) WHERE m.t = ti.task_id),
                    greatest(ti.max_tries, ti.try_number)) END,
                next_method = CASE WHEN ti.state = 'running' THEN ti.next_method END,
                next_kwargs = CASE WHEN ti.state = 'running' THEN ti.next_kwargs END,
                updated_at = now()
            WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ($3::text[] IS NULL OR ti.task_id = ANY($3::text[]))
              AND (NOT $4 OR ti.state IN ('failed', 'upstream_failed'))
            RETURNING ti.task_id, ti.map_index
            """,
            dag_id, run_id, None if task_ids is None else list(task_ids), only_failed, list(retries),
            list(retries.values()),
        )  # fmt: skip
        if rows:
            await conn.execute(
                """
                UPDATE dag_run SET queued_at = now(), updated_at = now(),
                    state = CASE WHEN $3::text IS NOT NULL AND state IN ('success', 'failed') THEN $3 ELSE state END,
                    start_date = CASE WHEN $3::text IS NOT NULL AND state IN ('success', 'failed') THEN now()
                                      ELSE start_date END,
                    end_date = CASE WHEN $3::text IS NOT NULL AND state IN ('success', 'failed') THEN NULL
                                    ELSE end_date END
                WHERE dag_id = $1 AND run_id = $2
                """,
                dag_id, run_id, dag_run_state,
            )  # fmt: skip
    return [TaskInstanceKey(dag_id, run_id, row["task_id"], row["map_index"]) for row in rows]


async def list_task_instances(
    db: Db,
    *,
    dag_id: str | None = None,
    run_id: str | None = None,
    task_id: str | None = None,
    map_index: int | None = None,
    states: Collection[str | None] = (),
    pools: Collection[str] = (),
    order_by: str | Sequence[str] = "map_index",
    limit: int = 50,
    offset: int = 0,
) -> Page[TaskInstanceRecord]:
    """Task instances filtered like GET /api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances."""
    filters = _Filters()
    for column, value in (("dag_id", dag_id), ("run_id", run_id), ("task_id", task_id), ("map_index", map_index)):
        if value is not None:
            filters.add(f"{column} = {{}}", value)
    if states:
        named = [s for s in states if s is not None]
        if None in states:
            filters.add("(state IS NULL OR state = ANY({}::text[]))", named)
        else:
            filters.add("state = ANY({}::text[])", named)
    if pools:
        filters.add("pool = ANY({}::text[])", list(pools))
    allowed = ("id", "dag_id", "run_id", "task_id", "map_index", "state", "try_number", "start_date", "end_date",
               "duration", "pool", "queue", "priority_weight", "operator", "queued_dttm", "scheduled_dttm",
               "hostname", "updated_at")  # fmt: skip
    order = _order(order_by, allowed, "task_id, map_index, id")
    return await _page(db, TaskInstanceRecord, "task_instance", filters, order, limit, offset)


async def list_task_instance_tries(db: Db, key: TaskInstanceKey) -> list[TaskInstanceHistoryRecord]:
    """Every finished try of a task instance, oldest first."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT * FROM task_instance_history WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 "
            "AND map_index = $4 ORDER BY try_number",
            key.dag_id, key.run_id, key.task_id, key.map_index,
        )  # fmt: skip
    return from_rows(TaskInstanceHistoryRecord, rows)


# --- XCom ----------------------------------------------------------------------------------------------------------
async def _upsert_xcoms(
    conn: Conn, dag_id: str, run_id: str, task_id: str, map_index: int, values: Mapping[str, Any]
) -> None:
    await conn.execute(
        """
        INSERT INTO xcom (dag_id, run_id, task_id, map_index, key, value)
        SELECT $1, $2, $3, $4, k, v::jsonb FROM unnest($5::text[], $6::text[]) AS x(k, v)
        ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO UPDATE SET value = EXCLUDED.value, timestamp = now()
        """,
        dag_id, run_id, task_id, map_index, list(values), [json.dumps(v) for v in values.values()],
    )  # fmt: skip


async def set_xcom(db: Db, key: TaskInstanceKey, xcom_key: str, value: Any) -> None:
    """Push one XCom (JSON value), replacing an earlier value under the same key."""
    async with transaction(db) as conn:
        await _upsert_xcoms(conn, key.dag_id, key.run_id, key.task_id, key.map_index, {xcom_key: value})


async def get_xcom(db: Db, key: TaskInstanceKey, xcom_key: str = "return_value") -> XComRecord | None:
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            "SELECT * FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND key = $5",
            key.dag_id, key.run_id, key.task_id, key.map_index, xcom_key,
        )  # fmt: skip
    return None if row is None else from_row(XComRecord, row)


async def list_xcoms(
    db: Db,
    *,
    dag_id: str | None = None,
    run_id: str | None = None,
    task_id: str | None = None,
    xcom_key: str | None = None,
    map_indexes: Collection[int] = (),
    limit: int = 50,
    offset: int = 0,
) -> Page[XComRecord]:
    """XCom entries filtered like GET .../taskInstances/{task_id}/xcomEntries."""
    filters = _Filters()
    for column, value in (("dag_id", dag_id), ("run_id", run_id), ("task_id", task_id), ("key", xcom_key)):
        if value is not None:
            filters.add(f"{column} = {{}}", value)
    if map_indexes:
        filters.add("map_index = ANY({}::int[])", list(map_indexes))
    order = "ORDER BY dag_id, run_id, task_id, map_index, key"
    return await _page(db, XComRecord, "xcom", filters, order, limit, offset)


# --- task logs -----------------------------------------------------------------------------------------------------
async def append_task_log(
    db: Db,
    key: TaskInstanceKey,
    try_number: int,
    lines: Sequence[str],
    *,
    stream: str = "stdout",
    durable: bool = True,
) -> int:
    """Append log lines of one try in one statement; returns the id of the last line (0 if none). `durable=False`
    commits without waiting for the WAL flush (a running try's output: whatever makes the try's end durable makes
    these lines durable too, WAL being flushed in order); only for a `db` that is not inside a caller's transaction,
    which it would relax as a whole."""
    if not lines:
        return 0
    relax = "" if durable else ", (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed"
    async with _one_statement(db) as conn:
        last = await conn.fetchval(
            f"""
            WITH added AS (
                INSERT INTO task_log (dag_id, run_id, task_id, map_index, try_number, stream, line)
                SELECT $1, $2, $3, $4, $5, $6, line FROM unnest($7::text[]) WITH ORDINALITY AS l(line, n) ORDER BY n
                RETURNING id
            )
            SELECT max(id) FROM added{relax}
            """,
            key.dag_id, key.run_id, key.task_id, key.map_index, try_number, stream, list(lines),
        )  # fmt: skip
    return int(last)


async def read_task_log(
    db: Db, key: TaskInstanceKey, try_number: int, *, after_id: int = 0, limit: int = 10_000
) -> list[LogLine]:
    """Lines of one try after `after_id`, in order; poll with the last id seen to follow a running task."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT id, try_number, timestamp, stream, line FROM task_log WHERE dag_id = $1 AND run_id = $2 "
            "AND task_id = $3 AND map_index = $4 AND try_number = $5 AND id > $6 ORDER BY id LIMIT $7",
            key.dag_id, key.run_id, key.task_id, key.map_index, try_number, after_id, limit,
        )  # fmt: skip
    return from_rows(LogLine, rows)


# --- apps ----------------------------------------------------------------------------------------------------------
async def register_app(
    db: Db,
    app_id: str,
    *,
    name: str,
    dag_ids: Sequence[str],
    code_hash: str,
    hostname: str,
    pid: int | None = None,
    version: str | None = None,
) -> AppRecord:
    """Register (or re-register) a DAG app as running; listeners of `riir_app_registered` are told."""
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            """
            INSERT INTO app (id, name, dag_ids, code_hash, version, hostname, pid, state)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'running')
            ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, dag_ids = EXCLUDED.dag_ids,
                code_hash = EXCLUDED.code_hash, version = EXCLUDED.version, hostname = EXCLUDED.hostname,
                pid = EXCLUDED.pid, state = 'running', started_at = now(), last_heartbeat = now()
            RETURNING *
            """,
            app_id, name, list(dag_ids), code_hash, version, hostname, pid,
        )  # fmt: skip
    return from_row(AppRecord, row)


async def heartbeat_app(db: Db, app_id: str) -> bool:
    """Stamp the app's heartbeat. False if it is unknown or stopped (it should re-register)."""
    # One statement: atomic without an explicit transaction (BEGIN and COMMIT would double its round trips).
    status: str = await db.execute("UPDATE app SET last_heartbeat = now() WHERE id = $1 AND state <> 'stopped'", app_id)
    return status.endswith(" 1")


async def set_app_state(db: Db, app_id: str, state: str) -> AppRecord | None:
    """running / draining (SIGTERM: no new work) / stopped."""
    async with transaction(db) as conn:
        row = await conn.fetchrow("UPDATE app SET state = $2 WHERE id = $1 RETURNING *", app_id, state)
    return None if row is None else from_row(AppRecord, row)


async def list_apps(db: Db, *, alive_within: datetime.timedelta | None = None) -> list[AppRecord]:
    """Registered apps, optionally only those with a heartbeat within `alive_within`."""
    async with transaction(db) as conn:
        if alive_within is None:
            rows = await conn.fetch("SELECT * FROM app ORDER BY name, id")
        else:
            rows = await conn.fetch(
                "SELECT * FROM app WHERE state <> 'stopped' AND last_heartbeat >= now() - $1::interval "
                "ORDER BY name, id",
                alive_within,
            )
    return from_rows(AppRecord, rows)


# --- pools ---------------------------------------------------------------------------------------------------------
async def upsert_pool(
    db: Db, pool: str, slots: int, *, description: str | None = None, include_deferred: bool = False
) -> PoolRecord:
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            "INSERT INTO pool (pool, slots, description, include_deferred) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (pool) DO UPDATE SET slots = EXCLUDED.slots, description = EXCLUDED.description, "
            "include_deferred = EXCLUDED.include_deferred RETURNING *",
            pool, slots, description, include_deferred,
        )  # fmt: skip
    return from_row(PoolRecord, row)


async def delete_pool(db: Db, pool: str) -> bool:
    if pool == "default_pool":
        raise AirflowBadRequest("Default Pool can't be deleted")
    async with transaction(db) as conn:
        status = await conn.execute("DELETE FROM pool WHERE pool = $1", pool)
    return status.endswith(" 1")


async def list_pool_usage(db: Db, *, limit: int = 50, offset: int = 0) -> Page[PoolUsage]:
    """Pools with their running/queued/scheduled/deferred slots, like GET /api/v2/pools."""
    async with transaction(db) as conn:
        total = await conn.fetchval("SELECT count(*) FROM pool")
        rows = await conn.fetch(
            """
            SELECT p.pool, p.slots, p.description, p.include_deferred,
                coalesce(sum(ti.pool_slots) FILTER (WHERE ti.state = 'running'), 0)::int AS running_slots,
                coalesce(sum(ti.pool_slots) FILTER (WHERE ti.state = 'queued'), 0)::int AS queued_slots,
                coalesce(sum(ti.pool_slots) FILTER (WHERE ti.state = 'scheduled'), 0)::int AS scheduled_slots,
                coalesce(sum(ti.pool_slots) FILTER (WHERE ti.state = 'deferred'), 0)::int AS deferred_slots
            FROM pool p LEFT JOIN task_instance ti
                ON ti.pool = p.pool AND ti.state IN ('running', 'queued', 'scheduled', 'deferred')
            GROUP BY p.id ORDER BY p.id LIMIT $1 OFFSET $2
            """,
            limit, offset,
        )  # fmt: skip
    return Page(from_rows(PoolUsage, rows), int(total))


# --- assets --------------------------------------------------------------------------------------------------------
async def upsert_asset(
    db: Db, name: str, uri: str, *, group: str = "asset", extra: Mapping[str, Any] | None = None
) -> AssetRecord:
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            'INSERT INTO asset (name, uri, "group", extra) VALUES ($1, $2, $3, $4) ON CONFLICT (name, uri) DO UPDATE '
            'SET "group" = EXCLUDED."group", extra = EXCLUDED.extra, updated_at = now() RETURNING *',
            name, uri, group, dict(extra or {}),
        )  # fmt: skip
        # Active unless an active asset has its name or URI (migration 0020), as riir_declare_asset does.
        await conn.execute("INSERT INTO asset_active (name, uri) VALUES ($1, $2) ON CONFLICT DO NOTHING", name, uri)
    return from_row(AssetRecord, row)


async def record_asset_event(
    db: Db,
    asset_id: int,
    *,
    extra: Mapping[str, Any] | None = None,
    source: TaskInstanceKey | None = None,
) -> AssetEventRecord:
    """An asset was updated (by a task when `source` is given, else by the API)."""
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            "INSERT INTO asset_event (asset_id, extra, source_dag_id, source_task_id, source_run_id, source_map_index) "
            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
            asset_id, dict(extra or {}), source.dag_id if source else None, source.task_id if source else None,
            source.run_id if source else None, source.map_index if source else None,
        )  # fmt: skip
    return from_row(AssetEventRecord, row)


async def list_asset_events(
    db: Db,
    *,
    asset_id: int | None = None,
    source_dag_id: str | None = None,
    timestamp_gte: datetime.datetime | None = None,
    order_by: str | Sequence[str] = "timestamp",
    limit: int = 50,
    offset: int = 0,
) -> Page[AssetEventRecord]:
    filters = _Filters()
    if asset_id is not None:
        filters.add("asset_id = {}", asset_id)
    if source_dag_id is not None:
        filters.add("source_dag_id = {}", source_dag_id)
    if timestamp_gte is not None:
        filters.add("timestamp >= {}", timestamp_gte)
    allowed = ("id", "timestamp", "asset_id", "source_dag_id")
    return await _page(db, AssetEventRecord, "asset_event", filters, _order(order_by, allowed, "id"), limit, offset)


# --- backfills -----------------------------------------------------------------------------------------------------
async def create_backfill(
    db: Db,
    dag_id: str,
    *,
    from_date: datetime.datetime,
    to_date: datetime.datetime,
    dag_run_conf: Mapping[str, Any] | None = None,
    reprocess_behavior: str = "none",
    max_active_runs: int = 10,
    run_backwards: bool = False,
    triggering_user_name: str | None = None,
) -> BackfillRecord:
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            "INSERT INTO backfill (dag_id, from_date, to_date, dag_run_conf, reprocess_behavior, max_active_runs, "
            "run_backwards, triggering_user_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
            dag_id, from_date, to_date, dict(dag_run_conf or {}), reprocess_behavior, max_active_runs, run_backwards,
            triggering_user_name,
        )  # fmt: skip
    return from_row(BackfillRecord, row)


async def update_backfill(
    db: Db, backfill_id: int, *, is_paused: bool | None = None, completed: bool | None = None
) -> BackfillRecord | None:
    """Pause/unpause, or mark completed (also how a backfill is cancelled)."""
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            "UPDATE backfill SET is_paused = coalesce($2, is_paused), updated_at = now(), "
            "completed_at = CASE WHEN $3 THEN coalesce(completed_at, now()) ELSE completed_at END "
            "WHERE id = $1 RETURNING *",
            backfill_id, is_paused, bool(completed),
        )  # fmt: skip
    return None if row is None else from_row(BackfillRecord, row)


async def list_backfills(
    db: Db, *, dag_id: str | None = None, active_only: bool = False, limit: int = 50, offset: int = 0
) -> Page[BackfillRecord]:
    filters = _Filters()
    if dag_id is not None:
        filters.add("dag_id = {}", dag_id)
    if active_only:
        filters.add("completed_at IS NULL")
    return await _page(db, BackfillRecord, "backfill", filters, "ORDER BY id", limit, offset)


# --- events (audit log) --------------------------------------------------------------------------------------------
async def record_event(
    db: Db,
    event: str,
    *,
    dag_id: str | None = None,
    task_id: str | None = None,
    run_id: str | None = None,
    map_index: int | None = None,
    try_number: int | None = None,
    logical_date: datetime.datetime | None = None,
    owner: str | None = None,
    extra: Any = None,
) -> EventRecord:
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            "INSERT INTO event (event, dag_id, task_id, run_id, map_index, try_number, logical_date, owner, extra) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
            event, dag_id, task_id, run_id, map_index, try_number, logical_date, owner, extra,
        )  # fmt: skip
    return from_row(EventRecord, row)


async def list_events(
    db: Db,
    *,
    dag_id: str | None = None,
    task_id: str | None = None,
    run_id: str | None = None,
    events: Collection[str] = (),
    owner: str | None = None,
    after: datetime.datetime | None = None,
    before: datetime.datetime | None = None,
    order_by: str | Sequence[str] = "id",
    limit: int = 50,
    offset: int = 0,
) -> Page[EventRecord]:
    """Events filtered like GET /api/v2/eventLogs."""
    filters = _Filters()
    for column, value in (("dag_id", dag_id), ("task_id", task_id), ("run_id", run_id), ("owner", owner)):
        if value is not None:
            filters.add(f"{column} = {{}}", value)
    if events:
        filters.add("event = ANY({}::text[])", list(events))
    if after is not None:
        filters.add("dttm > {}", after)
    if before is not None:
        filters.add("dttm < {}", before)
    allowed = ("id", "dttm", "dag_id", "task_id", "run_id", "event", "owner", "logical_date")
    only_dag = not (task_id or run_id or owner or events or after or before)
    counted = Counted("event", None if dag_id is None else [dag_id]) if only_dag else None
    return await _page(db, EventRecord, "event", filters, _order(order_by, allowed, "id"), limit, offset, counted)
