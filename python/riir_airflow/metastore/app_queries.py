"""Metastore operations only the DAG app needs (expansion, deferral resume, recovery, hand-back, retire).

Like `queries`, each function is one transaction and state changes are compare-and-set.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator, Collection, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from riir_airflow.exceptions import DagRunAlreadyExists
from riir_airflow.metastore.queries import (
    Db,
    plain_datetime,
    state_change_arrays,
    task_instance_arrays,
    transaction,
)
from riir_airflow.metastore.records import (
    DagRunRecord,
    NewTaskInstance,
    StateChange,
    TaskInstanceRecord,
    from_row,
    from_rows,
)

# Every table with per-DAG rows, children first, for `app retire --purge`.
_PER_DAG_TABLES = (
    ("deadline", "dag_id"),
    ("task_log", "dag_id"),
    ("task_reschedule", "dag_id"),
    ("dag_schedule_lease", "dag_id"),
    ("xcom", "dag_id"),
    ("task_instance_history", "dag_id"),
    ("task_instance", "dag_id"),
    ("dag_run", "dag_id"),
    ("backfill", "dag_id"),
    ("asset_event", "source_dag_id"),
    ("event", "dag_id"),
    ("dag_version", "dag_id"),
    ("dag", "dag_id"),
)


async def expand_task_instance(
    db: Db,
    dag_id: str,
    run_id: str,
    task_id: str,
    length: int,
    *,
    max_tries: int,
    pool: str,
    pool_slots: int,
    queue: str,
    priority_weight: int,
    operator: str | None,
    custom_operator_name: str | None,
) -> bool:
    """Turns the unexpanded instance (map_index -1) into `length` instances 0..length-1, or skips it when 0.

    False when the -1 instance is gone or no longer unstarted (another replica expanded it already).
    """
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            "SELECT id, dag_version_id FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 "
            "AND map_index = -1 AND state IS NULL FOR UPDATE",
            dag_id, run_id, task_id,
        )  # fmt: skip
        if row is None:
            return False
        if length == 0:
            await conn.execute(
                "UPDATE task_instance SET state = 'skipped', start_date = now(), end_date = now(), updated_at = now() "
                "WHERE id = $1",
                row["id"],
            )
            return True
        await conn.execute("UPDATE task_instance SET map_index = 0, updated_at = now() WHERE id = $1", row["id"])
        if length > 1:
            await conn.execute(
                """
                INSERT INTO task_instance (id, dag_id, run_id, task_id, map_index, max_tries, pool, pool_slots, queue,
                    priority_weight, operator, custom_operator_name, dag_version_id)
                SELECT gen_random_uuid(), $1, $2, $3, i, $4, $5, $6, $7, $8, $9, $10, $11
                FROM generate_series(1, $12 - 1) AS i
                """,
                dag_id, run_id, task_id, max_tries, pool, pool_slots, queue, priority_weight, operator,
                custom_operator_name, row["dag_version_id"], length,
            )  # fmt: skip
    return True


async def resume_deferred(db: Db, ti_id: uuid.UUID, try_number: int, next_kwargs: Any) -> bool:
    """A deferred try whose trigger fired goes back to scheduled (same try) with the event in next_kwargs."""
    async with transaction(db) as conn:
        status = await conn.execute(
            "UPDATE task_instance SET state = 'scheduled', next_kwargs = $3, scheduled_dttm = now(), "
            "updated_at = now() WHERE id = $1 AND try_number = $2 AND state = 'deferred'",
            ti_id, try_number, next_kwargs,
        )  # fmt: skip
    return str(status).endswith(" 1")


async def set_task_pids(db: Db, started: Collection[tuple[uuid.UUID, int, int]]) -> None:
    """The pids of the tries one dispatch started, (ti id, try number, pid) each, in one statement."""
    # One statement for the whole batch: atomic without BEGIN/COMMIT, and one round trip instead of one per try.
    # Informational (a try is known to run from its start's durable commit on): it does not wait for the WAL flush.
    if not started:
        return
    ids, tries, pids = zip(*started, strict=True)
    await db.execute(
        "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)) "
        "UPDATE task_instance SET pid = s.pid FROM relaxed, "
        "unnest($1::uuid[], $2::int[], $3::int[]) AS s(id, try_number, pid) "
        "WHERE task_instance.id = s.id AND task_instance.try_number = s.try_number AND task_instance.state = 'running'",
        list(ids), list(tries), list(pids),
    )  # fmt: skip


async def heartbeat(
    conn: Any,
    app_id: str,
    running: Collection[uuid.UUID],
    stale_after: datetime.timedelta | None = None,
    dag_ids: Sequence[str] = (),
) -> list[TaskInstanceRecord]:
    """The app's heartbeat in one statement: stamps the app, and its running tries' `last_heartbeat_at`; with
    `stale_after`, also returns the running tries of `dag_ids` whose heartbeat is older than that (Airflow's
    heartbeat-timeout detection; the stamps of this statement are not visible to that read), else []."""
    # One round trip instead of up to five (the app's stamp, BEGIN/UPDATE/COMMIT for the tries', the detection): an
    # idle app's only statement. Atomic without BEGIN/COMMIT; not waiting for the WAL flush, as a stamp lost in a
    # crash of the server is replaced by the next one.
    parts = [
        "relaxed AS (SELECT set_config('synchronous_commit', 'off', true))",
        "beat AS (UPDATE app SET last_heartbeat = now() FROM relaxed WHERE id = $1 AND state <> 'stopped')",
    ]
    args: list[Any] = [app_id]
    if running:
        args.append(list(running))
        parts.append(
            "tries AS (UPDATE task_instance SET last_heartbeat_at = now() FROM relaxed "
            f"WHERE id = ANY(${len(args)}::uuid[]) AND state = 'running')"
        )
    if stale_after is None:
        await conn.execute(f"WITH {', '.join(parts)} SELECT 1", *args)
        return []
    args += [stale_after, list(dag_ids)]
    rows = await conn.fetch(
        f"WITH {', '.join(parts)} SELECT * FROM task_instance WHERE state = 'running' "
        f"AND last_heartbeat_at < now() - ${len(args) - 1}::interval AND dag_id = ANY(${len(args)}::text[]) "
        "ORDER BY last_heartbeat_at",
        *args,
    )
    return from_rows(TaskInstanceRecord, rows)


@dataclass(frozen=True, slots=True)
class TaskState:
    """What planning a run needs of one of its task instances."""

    id: uuid.UUID
    task_id: str
    map_index: int
    state: str | None
    try_number: int
    end_date: datetime.datetime | None
    reschedule_at: datetime.datetime | None  # of a sensor waiting in up_for_reschedule


async def task_states_of_run(db: Db, dag_id: str, run_id: str) -> list[TaskState]:
    """The planning view of a run's task instances, read on every loop turn (so once per task hop): a few columns
    in one statement — a single SELECT sees one snapshot, so no transaction and no count are needed. The latest
    reschedule date is looked up only for sensors waiting in up_for_reschedule."""
    rows = await db.fetch(
        "SELECT id, task_id, map_index, state, try_number, end_date, "
        "CASE WHEN state = 'up_for_reschedule' THEN (SELECT r.reschedule_date FROM task_reschedule r "
        "WHERE r.ti_id = ti.id ORDER BY r.id DESC LIMIT 1) END "
        "FROM task_instance ti WHERE dag_id = $1 AND run_id = $2",
        dag_id, run_id,
    )  # fmt: skip
    return [TaskState(*r) for r in rows]


async def task_state_changes(db: Db, dag_id: str, run_id: str, since: int) -> RunStates:
    """The planning view of the run's task instances changed since the read that returned `since` as its cursor
    (migration 0017), with the run's row count, in one statement."""
    row = await db.fetchrow(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text, ARRAY(SELECT ROW(ti.id, ti.task_id, ti.map_index, "
        "ti.state, ti.try_number, ti.end_date, CASE WHEN ti.state = 'up_for_reschedule' THEN (SELECT "
        "rs.reschedule_date FROM task_reschedule rs WHERE rs.ti_id = ti.id ORDER BY rs.id DESC LIMIT 1) END) "
        "FROM task_instance ti WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.riir_change_xid >= $3::text::xid8), "
        "(SELECT count(*) FROM task_instance ti WHERE ti.dag_id = $1 AND ti.run_id = $2)",
        dag_id, run_id, str(since),
    )  # fmt: skip
    assert row is not None  # a SELECT without FROM always returns its row
    return RunStates([TaskState(*ti) for ti in row[1]], int(row[0]), since, row[2])


async def record_reschedule(
    db: Db, ti_id: uuid.UUID, dag_id: str, start_date: datetime.datetime, reschedule_date: datetime.datetime
) -> None:
    """A sensor try asked to be poked again at `reschedule_date` (kept, so a restarted app resumes it on time)."""
    async with transaction(db) as conn:
        await conn.execute(
            "INSERT INTO task_reschedule (ti_id, dag_id, start_date, end_date, duration, reschedule_date) "
            "VALUES ($1, $2, $3, now(), extract(epoch FROM now() - $3), $4)",
            ti_id, dag_id, start_date, reschedule_date,
        )  # fmt: skip


async def reschedule_history(db: Db, ti_id: uuid.UUID) -> tuple[int, datetime.datetime | None]:
    """How many times a task instance was rescheduled (Airflow's task_reschedule_count), and when its first
    rescheduled poke started (a reschedule-mode sensor's timeout counts from there)."""
    row = await db.fetchrow("SELECT count(*), min(start_date) FROM task_reschedule WHERE ti_id = $1", ti_id)
    return (int(row[0]), row[1]) if row is not None else (0, None)


async def tries_of_dags(db: Db, dag_ids: Collection[str], states: Collection[str]) -> list[dict[str, Any]]:
    """Task instances of these DAGs in these states (recovery after a restart or a takeover)."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT id, dag_id, run_id, task_id, map_index, try_number, max_tries, state, pid, hostname, app_id "
            "FROM task_instance WHERE dag_id = ANY($1::text[]) AND state = ANY($2::text[])",
            list(dag_ids), list(states),
        )  # fmt: skip
    return [dict(r) for r in rows]


async def grant_extra_try(db: Db, ti_id: uuid.UUID) -> None:
    """A try handed back by a draining app does not count against the task's retries."""
    async with transaction(db) as conn:
        await conn.execute("UPDATE task_instance SET max_tries = max_tries + 1 WHERE id = $1", ti_id)


async def purge_dag(db: Db, dag_id: str) -> dict[str, int]:
    """Deletes every row of a DAG (its runs, tries, XComs, logs, versions and the dag row itself)."""
    counts: dict[str, int] = {}
    async with transaction(db) as conn:
        for table, column in _PER_DAG_TABLES:
            status = await conn.execute(f"DELETE FROM {table} WHERE {column} = $1", dag_id)
            counts[table] = int(str(status).split()[-1])
    return counts


async def retire_dag(db: Db, dag_id: str) -> bool:
    """Marks a DAG inactive (stale) and paused, keeping its history; False if there is no such DAG."""
    async with transaction(db) as conn:
        status = await conn.execute(
            "UPDATE dag SET is_stale = true, is_paused = true, updated_at = now() WHERE dag_id = $1", dag_id
        )
    return str(status).endswith(" 1")


async def acquire_dag_lock(conn: Any, dag_id: str) -> bool:
    """Tries to take the per-DAG scheduling lock on `conn` (a dedicated connection held while scheduling)."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock(hashtext('riir_dag'), hashtext($1))", dag_id))


async def backfills_of_dag(db: Db, dag_id: str) -> dict[int, dict[str, Any]]:
    """The unfinished backfills of a DAG: id -> is_paused, max_active_runs, run_backwards."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT id, is_paused, max_active_runs, run_backwards FROM backfill "
            "WHERE dag_id = $1 AND completed_at IS NULL",
            dag_id,
        )
    return {r["id"]: dict(r) for r in rows}


class Fenced(Exception):
    """This app no longer holds a DAG's scheduling lease (another app took over): it must not write for that DAG."""


FENCED_SQLSTATE = "RI001"  # raised by riir_check_lease (migration 0018)


@contextmanager
def fenced_errors() -> Iterator[None]:
    """Turns the database's fencing error (a write whose lease moved on) into `Fenced`."""
    try:
        yield
    except asyncpg.PostgresError as exc:
        if exc.sqlstate == FENCED_SQLSTATE:
            raise Fenced(str(exc)) from exc
        raise


async def take_lease(conn: Any, dag_id: str, app_id: str) -> int:
    """Called right after taking a DAG's advisory lock: a new fencing token for this app's tenure."""
    token = await conn.fetchval(
        "INSERT INTO dag_schedule_lease (dag_id, app_id, fencing_token) VALUES ($1, $2, 1) "
        "ON CONFLICT (dag_id) DO UPDATE SET app_id = $2, fencing_token = dag_schedule_lease.fencing_token + 1, "
        "acquired_at = now() RETURNING fencing_token",
        dag_id, app_id,
    )  # fmt: skip
    return int(token)


async def check_lease(conn: Any, dag_id: str, token: int, *, durable: bool = True) -> None:
    """Inside a write's transaction: raises Fenced unless `token` is still the DAG's lease (riir_check_lease: the row
    lock makes a takeover wait for this transaction, so no write of an old holder lands after a new holder's first
    one). `durable=False` also turns off `synchronous_commit` for the transaction, in the same round trip. Alone (a
    transaction of its own) it is a durable commit that waits for the WAL flush, the row lock being WAL-logged: it
    makes every earlier commit durable too."""
    with fenced_errors():
        await conn.execute("SELECT riir_check_lease($1, $2, $3)", dag_id, token, durable)


@asynccontextmanager
async def fenced_transaction(db: Any, dag_id: str, token: int, *, durable: bool = True) -> AsyncIterator[Any]:
    """A transaction whose writes land only while this app holds the DAG's lease (raises Fenced otherwise).

    `durable=False` commits without waiting for the WAL flush (`synchronous_commit = off`, this transaction only):
    for writes that nothing irreversible depends on until a later durable commit — WAL is flushed in order, so that
    commit makes this one durable too. A PostgreSQL crash may lose such a commit, never corrupt anything."""
    async with db.acquire() as conn, conn.transaction():
        await check_lease(conn, dag_id, token, durable=durable)
        yield conn


@asynccontextmanager
async def relaxed_transaction(db: Any) -> AsyncIterator[Any]:
    """A transaction that commits without waiting for the WAL flush (`synchronous_commit = off`, this transaction
    only), begun in one round trip: for writes that are derived again if a PostgreSQL crash loses them."""
    async with db.acquire() as conn:
        await conn.execute("BEGIN; SET LOCAL synchronous_commit = off")
        try:
            yield conn
        except BaseException:
            if not conn.is_closed():
                try:
                    await conn.execute("ROLLBACK")
                except Exception:
                    conn.terminate()  # in an unknown state: never used again
            raise
        await conn.execute("COMMIT")


async def schedule_and_start(
    db: Db,
    dag_id: str,
    token: int,
    changes: Sequence[tuple[str, StateChange]],
    *,
    app_id: str,
    hostname: str,
    limit: int,
) -> list[TaskInstanceRecord]:
    """A loop turn's writes in one statement (riir_schedule_and_start, migration 0018), fenced: the planner's
    compare-and-set changes ((run_id, change) pairs), then up to `limit` of the DAG's scheduled tries claimed for
    this app and started (`running`, highest priority first, pools honoured). The commit is durable when a try
    started: its process may be forked once this returns."""
    with fenced_errors():
        rows = await db.fetch(
            "SELECT * FROM riir_schedule_and_start($1, $2, $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], "
            "$8::bool[], $9, $10, $11)",
            dag_id, token, *state_change_arrays(changes), app_id, hostname, limit,
        )  # fmt: skip
    return from_rows(TaskInstanceRecord, rows)


@dataclass(frozen=True, slots=True)
class RunStates:
    """A running run's task instances as one loop turn read them (see migration 0017): every one when `since` is
    None, else only those changed since the read that returned `since` as its `cursor`, with the run's `total`."""

    rows: list[TaskState]
    cursor: int  # read the changes since this next time
    since: int | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class ActiveRun:
    """A queued or running run as a loop turn reads it: a running one with the planning view of its task instances,
    and, when asked for, its previous successful run (Airflow's get_previous_successful_dagrun: the `prev_*_success`
    context values its tries get) — `previous_read` False when not asked for."""

    run: DagRunRecord
    states: RunStates | None
    previous_read: bool = False
    previous: dict[str, Any] | None = None


async def active_runs_with_states(
    db: Db, dag_id: str, since: Mapping[str, int] | None = None, previous_known: Collection[str] = ()
) -> list[ActiveRun]:
    """The DAG's queued and running runs, each running one with the planning view of its task instances (see
    `task_states_of_run`) and, unless its run_id is in `previous_known`, its previous successful run: what a loop
    turn plans from and starts tries with, in one statement (one snapshot, no transaction). `since`: per run, the
    cursor of the turn's previous read, so that only the task instances changed since come back."""
    since = since or {}
    rows = await db.fetch(
        "SELECT r.*, pg_snapshot_xmin(pg_current_snapshot())::text AS riir_cursor, c.since::text AS riir_since, "
        "CASE WHEN r.state = 'running' THEN ARRAY(SELECT ROW(ti.id, ti.task_id, ti.map_index, ti.state, "
        "ti.try_number, ti.end_date, CASE WHEN ti.state = 'up_for_reschedule' THEN (SELECT rs.reschedule_date "
        "FROM task_reschedule rs WHERE rs.ti_id = ti.id ORDER BY rs.id DESC LIMIT 1) END) "
        "FROM task_instance ti WHERE ti.dag_id = r.dag_id AND ti.run_id = r.run_id "
        "AND (c.since IS NULL OR ti.riir_change_xid >= c.since)) END AS riir_task_states, "
        "CASE WHEN r.state = 'running' AND c.since IS NOT NULL THEN (SELECT count(*) FROM task_instance ti "
        "WHERE ti.dag_id = r.dag_id AND ti.run_id = r.run_id) END AS riir_task_count, "
        "r.state = 'running' AND r.logical_date IS NOT NULL AND r.run_id <> ALL($4::text[]) AS riir_previous_read, "
        "p.data_interval_start AS riir_prev_data_interval_start, p.data_interval_end AS riir_prev_data_interval_end, "
        "p.start_date AS riir_prev_start_date, p.end_date AS riir_prev_end_date, p.run_id AS riir_prev_run_id "
        "FROM dag_run r LEFT JOIN unnest($2::text[], $3::text[]::xid8[]) AS c(run_id, since) ON c.run_id = r.run_id "
        "LEFT JOIN LATERAL (SELECT * FROM dag_run pr WHERE r.state = 'running' "
        "AND r.logical_date IS NOT NULL AND r.run_id <> ALL($4::text[]) AND pr.dag_id = r.dag_id "
        "AND pr.logical_date < r.logical_date AND pr.state = 'success' ORDER BY pr.logical_date DESC LIMIT 1) p "
        "ON true WHERE r.dag_id = $1 AND r.state IN ('queued', 'running') ORDER BY r.id",
        dag_id, list(since), [str(v) for v in since.values()], list(previous_known),
    )  # fmt: skip
    out: list[ActiveRun] = []
    for row in rows:
        states = row["riir_task_states"]
        since_run = row["riir_since"]
        run_states = None if states is None else RunStates(
            [TaskState(*ti) for ti in states],
            int(row["riir_cursor"]),
            None if since_run is None else int(since_run),
            row["riir_task_count"],
        )  # fmt: skip
        previous = None if row["riir_prev_run_id"] is None else {
            "data_interval_start": row["riir_prev_data_interval_start"],
            "data_interval_end": row["riir_prev_data_interval_end"],
            "start_date": row["riir_prev_start_date"],
            "end_date": row["riir_prev_end_date"],
        }  # fmt: skip
        out.append(ActiveRun(from_row(DagRunRecord, row), run_states, bool(row["riir_previous_read"]), previous))
    return out


async def trigger_dag_run(
    db: Db, dag_id: str, run_id: str, *, logical_date: datetime.datetime | None, conf: dict[str, Any]
) -> bool:
    """A queued manual run of another DAG for TriggerDagRunOperator, through the checked definer function of
    migration 0003 (an app confined to its own DAGs may not insert it itself). False when the app's grant does not
    allow triggering that DAG (the refusal is in the event log)."""
    async with transaction(db) as conn:
        run = await conn.fetchval(
            "SELECT riir_trigger_dag_run($1, $2, $3, $4::jsonb)", dag_id, run_id, logical_date, conf
        )
    return run is not None


# --- the loop turn's reads: one statement each (no BEGIN/COMMIT, no count), run by every app at every tick ---------
@dataclass(frozen=True, slots=True)
class TimetablePosition:
    """Where a DAG's timetable goes on from, read when an interval may be due: its latest scheduled or backfill run,
    how many runs are active (queued or running: max_active_runs), and how many of those wait in `queued` outside a
    backfill (a new run may start at once only when none does: queued runs start in run_after order)."""

    latest: DagRunRecord | None
    active: int
    queued: int


async def timetable_position(db: Db, dag_id: str) -> TimetablePosition:
    """`TimetablePosition` in one statement (one snapshot)."""
    row = await db.fetchrow(
        "SELECT latest.*, counts.active AS riir_active, counts.queued AS riir_queued FROM (SELECT count(*) AS active, "
        "count(*) FILTER (WHERE state = 'queued' AND backfill_id IS NULL) AS queued FROM dag_run "
        "WHERE dag_id = $1 AND state IN ('queued', 'running')) counts LEFT JOIN LATERAL (SELECT * FROM dag_run "
        "WHERE dag_id = $1 AND run_type = ANY('{scheduled,backfill}'::text[]) ORDER BY run_after DESC, id LIMIT 1) "
        "latest ON true",
        dag_id,
    )  # fmt: skip
    assert row is not None  # an aggregate: always one row
    latest = None if row["id"] is None else from_row(DagRunRecord, row)
    return TimetablePosition(latest, int(row["riir_active"]), int(row["riir_queued"]))


async def create_run_fenced(
    db: Db,
    dag_id: str,
    token: int,
    run_id: str,
    *,
    run_type: str,
    tasks: Sequence[NewTaskInstance],
    state: str,
    dag_version_id: uuid.UUID | None,
    triggered_by: str,
    logical_date: datetime.datetime | None = None,
    data_interval: tuple[datetime.datetime, datetime.datetime] | None = None,
    run_after: datetime.datetime | None = None,
    partition_key: str | None = None,
    partition_date: datetime.datetime | None = None,
    next_dagrun: tuple[datetime.datetime | None, ...] | None = None,
) -> DagRunRecord:
    """A run of the app's own DAG with its task instances, in one statement (atomic without BEGIN/COMMIT) that
    lands only while this app holds the DAG's lease (Fenced otherwise). `state="running"` starts it as it is
    created (start_date stamped), so the loop turn that creates it can start its first tries. `next_dagrun`, when
    given, is written to the dag row with it (next_dagrun, its data interval's start and end, create_after: the
    timetable's following run). DagRunAlreadyExists if the run_id or logical_date is taken."""
    shown = [plain_datetime(value) for value in next_dagrun] if next_dagrun is not None else [None] * 4
    try:
        with fenced_errors():
            row = await db.fetchrow(
                """
                WITH lease AS (SELECT riir_check_lease($1, $13, true)),
                run AS (
                    INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, data_interval_start,
                        data_interval_end, run_after, conf, state, queued_at, dag_version_id, triggered_by, start_date,
                        partition_key, partition_date)
                    SELECT $1, $2, $3, $4, $5, $6, coalesce($7, now()), '{}'::jsonb, $8, now(), $9, $10,
                        CASE WHEN $8 = 'running' THEN now() END, $11, $12
                    FROM lease
                    RETURNING *),
                added AS (
                    INSERT INTO task_instance (id, dag_id, run_id, task_id, map_index, state, max_tries, pool,
                        pool_slots, queue, priority_weight, operator, custom_operator_name, task_display_name,
                        dag_version_id)
                    SELECT t.id, run.dag_id, run.run_id, t.task_id, t.map_index, t.state, t.max_tries, t.pool,
                        t.pool_slots, t.queue, t.priority_weight, t.operator, t.custom_operator_name,
                        t.task_display_name, run.dag_version_id
                    FROM run, unnest($14::uuid[], $15::text[], $16::int[], $17::text[], $18::int[], $19::text[],
                        $20::int[], $21::text[], $22::int[], $23::text[], $24::text[], $25::text[])
                        AS t(id, task_id, map_index, state, max_tries, pool, pool_slots, queue, priority_weight,
                             operator, custom_operator_name, task_display_name)),
                shown AS (
                    UPDATE dag SET next_dagrun = $26, next_dagrun_data_interval_start = $27,
                        next_dagrun_data_interval_end = $28, next_dagrun_create_after = $29, updated_at = now()
                    FROM run WHERE $30 AND dag.dag_id = run.dag_id)
                SELECT * FROM run
                """,
                dag_id, run_id, run_type, plain_datetime(logical_date),
                plain_datetime(data_interval[0]) if data_interval else None,
                plain_datetime(data_interval[1]) if data_interval else None, plain_datetime(run_after), state,
                dag_version_id, triggered_by, partition_key, plain_datetime(partition_date), token,
                *task_instance_arrays(tasks), *shown, next_dagrun is not None,
            )  # fmt: skip
    except asyncpg.UniqueViolationError as err:
        raise DagRunAlreadyExists(
            f"A DAG run for {dag_id} with run_id {run_id!r} or logical_date {logical_date} already exists"
        ) from err
    return from_row(DagRunRecord, row)


async def finish_run_fenced(db: Db, dag_id: str, token: int, run_id: str, state: str) -> DagRunRecord | None:
    """A running run of the app's own DAG ends in `state` (success or failed; end_date stamped), in one statement
    that lands only while this app holds the DAG's lease (Fenced otherwise: the lease is checked for the row it
    would write); a backfill whose last active run this was is complete (Airflow's _mark_backfills_complete). None
    when the run was not running (nothing written)."""
    with fenced_errors():
        row = await db.fetchrow(
            """
            WITH lease AS (SELECT riir_check_lease($1, $4, true)),
            finished AS (
                UPDATE dag_run SET state = $3, updated_at = now(), end_date = now() FROM lease
                WHERE dag_id = $1 AND run_id = $2 AND state = 'running'
                RETURNING dag_run.*),
            completed AS (
                -- The statement's snapshot still sees the run running: it is left out by name.
                UPDATE backfill b SET completed_at = now(), updated_at = now() FROM finished f
                WHERE b.id = f.backfill_id AND b.completed_at IS NULL AND NOT EXISTS (SELECT 1 FROM dag_run o
                    WHERE o.backfill_id = f.backfill_id AND o.state IN ('queued', 'running') AND o.id <> f.id))
            SELECT * FROM finished
            """,
            dag_id, run_id, state, token,
        )  # fmt: skip
    return None if row is None else from_row(DagRunRecord, row)


async def paused_flags(db: Db, dag_ids: Collection[str]) -> dict[str, bool]:
    """is_paused of each of these DAGs, in one statement (a DAG without a row reads as paused)."""
    rows = await db.fetch("SELECT dag_id, is_paused FROM dag WHERE dag_id = ANY($1::text[])", list(dag_ids))
    found = {row["dag_id"]: bool(row["is_paused"]) for row in rows}
    return {dag_id: found.get(dag_id, True) for dag_id in dag_ids}


async def run_has_task_instances(db: Db, dag_id: str, run_id: str) -> bool:
    """False for a run created without its task instances (they are added when it starts)."""
    found: bool = await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM task_instance WHERE dag_id = $1 AND run_id = $2)", dag_id, run_id
    )
    return found


async def record_cache_hit(conn: Any, key: Any, try_number: int, cache: Any) -> None:
    """The event-log entry of a `cache="file"` try that reused an earlier output instead of running (event
    `cached`, shown by /api/v2/eventLogs); `cache` is the try's `engine.messages.CacheUse`."""
    await conn.execute(
        "INSERT INTO event (event, dag_id, task_id, run_id, map_index, try_number, extra) "
        "VALUES ('cached', $1, $2, $3, $4, $5, $6)",
        key.dag_id, key.task_id, key.run_id, key.map_index, try_number,
        {"key": cache.key, "source": cache.source, "restored": cache.restored},
    )  # fmt: skip


async def trigger_or_reset_dag_run(
    db: Db,
    dag_id: str,
    run_id: str,
    *,
    logical_date: datetime.datetime | None,
    conf: dict[str, Any],
    reset: bool,
) -> str:
    """TriggerDagRunOperator during its try: "created", "reset" (the run existed and `reset`: cleared to run again),
    "exists" (it existed, no reset) or "refused" (the app's grant does not name that DAG)."""
    try:
        return "created" if await trigger_dag_run(db, dag_id, run_id, logical_date=logical_date, conf=conf) else (
            "refused")  # fmt: skip
    except asyncpg.UniqueViolationError:
        if not reset:
            return "exists"
    async with transaction(db) as conn:
        existing = await conn.fetchval("SELECT riir_dag_run_state($1, $2)", dag_id, run_id)
        if existing is None:  # the same logical date under another run id: Airflow refuses it too
            return "exists"
        allowed = await conn.fetchval("SELECT riir_reset_dag_run($1, $2)", dag_id, run_id)
    return "reset" if allowed else "refused"


async def dag_run_state(db: Db, dag_id: str, run_id: str) -> str | None:
    async with transaction(db) as conn:
        state: str | None = await conn.fetchval("SELECT riir_dag_run_state($1, $2)", dag_id, run_id)
    return state


async def external_count(
    db: Db,
    dag_id: str,
    logical_dates: list[datetime.datetime],
    states: list[str],
    task_ids: list[str] | None,
    group_id: str | None,
) -> float:
    """ExternalTaskSensor's count over another DAG's runs (see riir_external_count in migration 0012)."""
    async with transaction(db) as conn:
        value = await conn.fetchval(
            "SELECT riir_external_count($1, $2::timestamptz[], $3::text[], $4::text[], $5)",
            dag_id, logical_dates, states, task_ids, group_id,
        )  # fmt: skip
    return float(value or 0)


async def declare_asset(db: Db, name: str, uri: str, *, group: str = "asset") -> int:
    """An asset a DAG schedules on or produces exists from now on (migration 0012's riir_declare_asset: a confined
    app creates it but never changes an existing one), and is active unless an active asset has its name or URI
    (migration 0020)."""
    async with transaction(db) as conn:
        asset_id: int = await conn.fetchval("SELECT riir_declare_asset($1, $2, $3, '{}'::jsonb)", name, uri, group)
    return asset_id


async def inactive_assets(db: Db, keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Of these (name, uri) assets, those not in `asset_active` (a task using one fails before it runs)."""
    if not keys:
        return []
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT name, uri FROM asset_active WHERE (name, uri) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            [name for name, _ in keys],
            [uri for _, uri in keys],
        )
    active = {(row["name"], row["uri"]) for row in rows}
    return [key for key in keys if key not in active]


async def fill_manual_data_interval(
    db: Db, dag_id: str, run_id: str, interval: tuple[datetime.datetime, datetime.datetime]
) -> None:
    """Sets the data interval of a manual run created without one (its DAG's timetable is custom: only the app can
    compute it); a run that already has one keeps it."""
    await db.execute(
        "UPDATE dag_run SET data_interval_start = $3, data_interval_end = $4 "
        "WHERE dag_id = $1 AND run_id = $2 AND data_interval_start IS NULL",
        dag_id, run_id, interval[0], interval[1],
    )  # fmt: skip
