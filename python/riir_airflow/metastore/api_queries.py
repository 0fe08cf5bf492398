"""Metastore operations only the broker's REST API needs (the shared ones are in queries.py)."""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from riir_airflow.metastore import partition_queries
from riir_airflow.metastore.queries import (
    Counted,
    Db,
    _Filters,
    _one_statement,
    _order,
    _page,
    _page_rows,
    transaction,
)
from riir_airflow.metastore.records import (
    AppRecord,
    AssetEventRecord,
    AssetRecord,
    DagRecord,
    DagRunRecord,
    DagVersionRecord,
    EventRecord,
    Page,
    Row,
    TaskInstanceRecord,
    from_row,
    from_rows,
)
from riir_airflow.states import UNFINISHED_TASK_STATES

UNFINISHED_TI_STATES = tuple(sorted(UNFINISHED_TASK_STATES))


def like_pattern(pattern: str) -> list[str]:
    """Airflow's `*_pattern` parameters: `|` separates alternatives, each matched as ILIKE '%term%'."""
    return [f"%{part}%" for part in pattern.split("|")]


# The latest version of each listed DAG, joined to the page (one index probe per DAG, in the page's statement).
_LATEST_VERSION = (
    "LEFT JOIN LATERAL (SELECT v.bundle_name AS latest_bundle_name, v.bundle_version AS latest_bundle_version, "
    "v.timetable_type AS latest_timetable_type FROM dag_version v "
    "WHERE v.dag_id = dag.dag_id ORDER BY v.version_number DESC LIMIT 1) latest ON true"
)


async def list_dags_filtered(
    db: Db,
    *,
    dag_id_pattern: str | None = None,
    dag_id_prefix: str | None = None,
    tags: Collection[str] = (),
    tags_match_all: bool = False,
    paused: bool | None = None,
    exclude_stale: bool = True,
    owners: Collection[str] = (),
    favorite_of: tuple[str, bool] | None = None,
    order_by: Sequence[str] = ("dag_id",),
    limit: int = 50,
    offset: int = 0,
) -> Page[Row]:
    """One page of DAGs (their `dag` rows: the list reads each once) with their latest versions' bundle and
    timetable type (`latest_bundle_name`, `latest_bundle_version`, `latest_timetable_type`: None without a version or
    a timetable), and the number of DAGs matching."""
    filters = _dag_filters(dag_id_pattern, dag_id_prefix, tags, tags_match_all, paused, exclude_stale, owners)
    if favorite_of is not None:
        user_id, favorite = favorite_of
        exists = "EXISTS (SELECT 1 FROM dag_favorite f WHERE f.dag_id = dag.dag_id AND f.user_id = {})"
        filters.add(exists if favorite else f"NOT {exists}", user_id)
    allowed = ("dag_id", "dag_display_name", "next_dagrun", "last_parsed_time", "is_paused", "fileloc")
    order = _order(order_by, allowed, "dag_id")
    rows, total = await _page_rows(db, "dag", filters, order, limit, offset, joined=_LATEST_VERSION)
    return Page(cast("list[Row]", rows), total)  # asyncpg rows are Rows


def _dag_filters(
    dag_id_pattern: str | None,
    dag_id_prefix: str | None,
    tags: Collection[str],
    tags_match_all: bool,
    paused: bool | None,
    exclude_stale: bool,
    owners: Collection[str],
) -> _Filters:
    filters = _Filters()
    if dag_id_pattern and dag_id_pattern != "~":
        filters.add("dag_id ILIKE ANY({}::text[])", like_pattern(dag_id_pattern))
    if dag_id_prefix and dag_id_prefix != "~":
        filters.add("starts_with(dag_id, {})", dag_id_prefix)
    if tags:
        filters.add("tags @> {}::text[]" if tags_match_all else "tags && {}::text[]", list(tags))
    if paused is not None:
        filters.add("is_paused = {}", paused)
    if exclude_stale:
        filters.add("NOT is_stale")
    if owners:
        filters.add("string_to_array(owners, ',') && {}::text[]", list(owners))
    return filters


async def pause_dags_filtered(
    db: Db,
    is_paused: bool,
    *,
    dag_id_pattern: str | None,
    dag_id_prefix: str | None,
    tags: Collection[str] = (),
    tags_match_all: bool = False,
    paused: bool | None = None,
    exclude_stale: bool = True,
    owners: Collection[str] = (),
    limit: int = 50,
    offset: int = 0,
) -> Page[DagRecord]:
    """Airflow's PATCH /dags: every DAG the filters match is paused or unpaused (each change NOTIFYs its app); the
    answer is one page of them, as they were read before the update, and their total."""
    filters = _dag_filters(dag_id_pattern, dag_id_prefix, tags, tags_match_all, paused, exclude_stale, owners)
    async with transaction(db) as conn:
        page = await _page(conn, DagRecord, "dag", filters, "ORDER BY dag_id", limit, offset)
        where = filters.where()
        args = filters.args[: len(filters.args) - 2]  # without the page's limit and offset
        await conn.execute(
            f"UPDATE dag SET is_paused = ${len(args) + 1}, updated_at = now() "
            f"WHERE dag_id IN (SELECT dag_id FROM dag {where}) AND is_paused IS DISTINCT FROM ${len(args) + 1}",
            *args,
            is_paused,
        )
    return page


async def add_favorite(db: Db, user_id: str, dag_id: str) -> bool:
    """False when the DAG already was a favorite of the user."""
    async with transaction(db) as conn:
        status = await conn.execute(
            "INSERT INTO dag_favorite (user_id, dag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", user_id, dag_id
        )
    return bool(status == "INSERT 0 1")


async def remove_favorite(db: Db, user_id: str, dag_id: str) -> bool:
    """False when the DAG was not a favorite of the user."""
    async with transaction(db) as conn:
        status = await conn.execute("DELETE FROM dag_favorite WHERE user_id = $1 AND dag_id = $2", user_id, dag_id)
    return bool(status != "DELETE 0")


async def is_favorite(db: Db, user_id: str, dag_id: str) -> bool:
    async with transaction(db) as conn:
        found = await conn.fetchval("SELECT 1 FROM dag_favorite WHERE user_id = $1 AND dag_id = $2", user_id, dag_id)
    return found is not None


async def latest_versions(db: Db, dag_ids: Collection[str], *, light: bool = False) -> dict[str, DagVersionRecord]:
    """The latest version of each DAG (one index probe per DAG). `light`: of the serialized data only the
    timetable's type is read (what DAG listings need), not the whole document."""
    data = (
        "jsonb_build_object('schedule', jsonb_build_object('timetable', "
        "jsonb_build_object('__type', v.data -> 'schedule' -> 'timetable' -> '__type')))"
        if light
        else "v.data"
    )
    async with _one_statement(db) as conn:
        rows = await conn.fetch(
            f"SELECT v.id, v.dag_id, v.version_number, v.dag_hash, {data} AS data, v.bundle_name, v.bundle_version, "
            "v.created_at, v.deployed_by, v.service_account, v.image, v.environment "
            "FROM unnest($1::text[]) AS d(dag_id) CROSS JOIN LATERAL (SELECT * FROM dag_version "
            "WHERE dag_version.dag_id = d.dag_id ORDER BY version_number DESC LIMIT 1) v",
            list(dag_ids),
        )
    return {r["dag_id"]: from_row(DagVersionRecord, r) for r in rows}


async def versions_by_id(db: Db, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, DagVersionRecord]:
    if not ids:
        return {}
    async with _one_statement(db) as conn:
        rows = await conn.fetch(
            "SELECT id, dag_id, version_number, dag_hash, NULL::jsonb AS data, bundle_name, bundle_version, "
            "created_at, deployed_by, service_account, image, environment FROM dag_version WHERE id = ANY($1::uuid[])",
            list(ids),
        )
    return {r["id"]: from_row(DagVersionRecord, r) for r in rows}


async def display_names(db: Db, dag_ids: Collection[str]) -> dict[str, str]:
    async with _one_statement(db) as conn:
        rows = await conn.fetch(
            "SELECT dag_id, coalesce(dag_display_name, dag_id) AS name FROM dag WHERE dag_id = ANY($1::text[])",
            list(dag_ids),
        )
    return {r["dag_id"]: r["name"] for r in rows}


async def delete_dag(db: Db, dag_id: str) -> bool:
    """Remove a DAG with its versions, runs, task instances, XCom and logs (as Airflow's delete_dag)."""
    async with transaction(db) as conn:
        for table in ("task_log", "xcom", "task_instance_history", "task_instance", "event"):
            await conn.execute(f"DELETE FROM {table} WHERE dag_id = $1", dag_id)
        await conn.execute("DELETE FROM dag_run WHERE dag_id = $1", dag_id)
        status = await conn.execute("DELETE FROM dag WHERE dag_id = $1", dag_id)
    return status.endswith(" 1")


async def delete_dag_run(db: Db, dag_id: str, run_id: str) -> bool:
    async with transaction(db) as conn:
        for table in ("task_log", "xcom", "task_instance_history", "task_instance"):
            await conn.execute(f"DELETE FROM {table} WHERE dag_id = $1 AND run_id = $2", dag_id, run_id)
        status = await conn.execute("DELETE FROM dag_run WHERE dag_id = $1 AND run_id = $2", dag_id, run_id)
    return status.endswith(" 1")


async def partition_run_ids(
    db: Db,
    dag_id: str,
    partition_key: str | None,
    date_start: datetime.datetime | None,
    date_end: datetime.datetime | None,
) -> list[str]:
    """The runs of one partition key, or else those whose partition date lies in [start, end] (Airflow's
    partition selectors), in partition order."""
    filters = _Filters()
    filters.add("dag_id = {}", dag_id)
    if partition_key is not None:
        filters.add("partition_key = {}", partition_key)
    else:
        filters.add("partition_date IS NOT NULL")
        if date_start is not None:
            filters.add("partition_date >= {}", date_start)
        if date_end is not None:
            filters.add("partition_date <= {}", date_end)
    async with transaction(db) as conn:
        rows = await conn.fetch(f"SELECT run_id FROM dag_run {filters.where()} ORDER BY partition_date, run_id",
                                *filters.args)  # fmt: skip
    return [r["run_id"] for r in rows]


async def delete_task_instance(db: Db, dag_id: str, run_id: str, task_id: str, map_index: int) -> None:
    """A task instance with what hangs off it (its tries, XComs and logs; reschedules and HITL rows cascade)."""
    async with transaction(db) as conn:
        for table in ("task_log", "xcom", "task_instance_history", "task_instance"):
            await conn.execute(f"DELETE FROM {table} WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 "
                               "AND map_index = $4", dag_id, run_id, task_id, map_index)  # fmt: skip


async def partition_runs_to_clear(
    db: Db,
    dag_id: str,
    *,
    run_id: str | None,
    partition_key: str | None,
    date_start: datetime.datetime | None,
    date_end: datetime.datetime | None,
    with_tis: bool,
    dry_run: bool,
) -> tuple[int, list[str]]:
    """Airflow's clearPartitions (the selection `partitions clear` makes): resets partition_key and partition_date
    of the matching runs (unless `dry_run`). Returns how many runs had partition fields to reset, and (with
    `with_tis`) the runs whose task instances are to be cleared too."""
    async with transaction(db) as conn:
        runs = await partition_queries.select_runs(
            conn, dag_id, run_id=run_id, partition_key=partition_key, date_start=date_start, date_end=date_end,
            window_needs="any", for_update=True,
        )  # fmt: skip
        reset = [run.run_id for run in runs if run.has_partition_fields]
        if reset and not dry_run:
            await partition_queries.clear_partition_fields(conn, dag_id, reset)
    return len(reset), [run.run_id for run in runs] if with_tis else []


async def set_dag_run_note(db: Db, dag_id: str, run_id: str, note: str | None) -> None:
    async with transaction(db) as conn:
        await conn.execute(
            "UPDATE dag_run SET note = $3, updated_at = now() WHERE dag_id = $1 AND run_id = $2", dag_id, run_id, note
        )


async def list_runs_filtered(
    db: Db,
    *,
    dag_ids: Collection[str] | None = None,
    states: Collection[str] = (),
    run_types: Collection[str] = (),
    ranges: Sequence[tuple[str, str, datetime.datetime]] = (),
    run_id_pattern: str | None = None,
    order_by: Sequence[str] = ("id",),
    limit: int = 50,
    offset: int = 0,
    joined: bool = False,
) -> RunPage:
    """Runs of some DAGs (None: all); `ranges` are (column, operator, value) filters on date columns. `joined`: each
    run's DAG version and its DAG's display name read with the page, what a REST listing shows of them: joined to the
    page's statement (one round trip instead of three), or for one DAG's runs its name joined once and the versions
    read apart (without: `versions` and `names` are empty)."""
    filters, order, counted = _run_filters(dag_ids, states, run_types, ranges, run_id_pattern, order_by)
    if not joined:
        rows, total = await _page_rows(db, "dag_run", filters, order, limit, offset, counted)
        return RunPage(rows, total, {}, {})
    if dag_ids is not None and len(dag_ids) == 1:
        # One DAG's runs share a version or a few: read apart, and the DAG's name once, cost less than per row.
        rows, total = await _page_rows(
            db, "dag_run", filters, order, limit, offset, counted, joined=_ONE_DAG_NAME, joined_args=list(dag_ids)
        )
        versions = await versions_by_id(db, {row["dag_version_id"] for row in rows if row["dag_version_id"]})
    else:
        join = f"{_version_join('dag_run.dag_version_id')} {_RUN_DAG_NAME}"
        rows, total = await _page_rows(db, "dag_run", filters, order, limit, offset, counted, joined=join)
        versions = _joined_versions(rows)
    names = {row["dag_id"]: row["riir_dag_display_name"] for row in rows}
    return RunPage(rows, total, versions, names)


def _run_filters(
    dag_ids: Collection[str] | None,
    states: Collection[str],
    run_types: Collection[str],
    ranges: Sequence[tuple[str, str, datetime.datetime]],
    run_id_pattern: str | None,
    order_by: Sequence[str],
) -> tuple[_Filters, str, Counted | None]:
    filters = _Filters()
    if dag_ids is not None:
        filters.add("dag_id = ANY({}::text[])", list(dag_ids))
    if states:
        filters.add("state = ANY({}::text[])", list(states))
    if run_types:
        filters.add("run_type = ANY({}::text[])", list(run_types))
    for column, op, value in ranges:
        filters.add(f"{column} {op} {{}}", value)
    if run_id_pattern and run_id_pattern != "~":
        filters.add("run_id ILIKE ANY({}::text[])", like_pattern(run_id_pattern))
    allowed = ("id", "dag_id", "run_id", "state", "run_type", "logical_date", "run_after", "start_date", "end_date",
               "queued_at", "data_interval_start", "data_interval_end", "updated_at")  # fmt: skip
    order = _order([o.replace("dag_run_id", "run_id") for o in order_by], allowed, "id")
    only_dag = not (states or run_types or ranges or (run_id_pattern and run_id_pattern != "~"))
    counted = Counted("dag_run", None if dag_ids is None else list(dag_ids)) if only_dag else None
    return filters, order, counted


@dataclass(frozen=True, slots=True)
class RunPage:
    """One page of runs (their `dag_run` rows: not records, a listing reads each once), the number matching the
    filters, the DAG versions the page's runs ran with (without their serialized data) and the display names of
    their DAGs (None: the DAG row is gone)."""

    rows: Sequence[Row]
    total_entries: int
    versions: dict[uuid.UUID, DagVersionRecord]
    names: dict[str, str | None]

    @property
    def items(self) -> list[DagRunRecord]:
        """The page's runs as records (built at each call)."""
        return from_rows(DagRunRecord, self.rows)  # type: ignore[arg-type]


async def list_tis_filtered(
    db: Db,
    *,
    dag_id: str | None = None,
    run_id: str | None = None,
    task_ids: Collection[str] = (),
    map_index: int | None = None,
    mapped_only: bool = False,
    states: Collection[str | None] = (),
    pools: Collection[str] = (),
    queues: Collection[str] = (),
    ranges: Sequence[tuple[str, str, Any]] = (),
    task_id_pattern: str | None = None,
    order_by: Sequence[str] = ("map_index",),
    limit: int = 50,
    offset: int = 0,
    with_versions: bool = False,
) -> TiPage:
    """`with_versions`: also the DAG versions the page's task instances ran with (joined to the page's statement)."""
    filters = _Filters()
    for column, value in (("dag_id", dag_id), ("run_id", run_id), ("map_index", map_index)):
        if value is not None:
            filters.add(f"{column} = {{}}", value)
    if task_ids:
        filters.add("task_id = ANY({}::text[])", list(task_ids))
    if mapped_only:
        filters.add("map_index >= 0")
    if states:
        named = [s for s in states if s is not None]
        clause = "(state IS NULL OR state = ANY({}::text[]))" if None in states else "state = ANY({}::text[])"
        filters.add(clause, named)
    if pools:
        filters.add("pool = ANY({}::text[])", list(pools))
    if queues:
        filters.add("queue = ANY({}::text[])", list(queues))
    for column, op, value in ranges:
        filters.add(f"{column} {op} {{}}", value)
    if task_id_pattern and task_id_pattern != "~":
        filters.add("task_id ILIKE ANY({}::text[])", like_pattern(task_id_pattern))
    renames = {"dag_run_id": "run_id", "queued_when": "queued_dttm", "scheduled_when": "scheduled_dttm"}
    fields = []
    for field in order_by:
        name = field.removeprefix("-")
        fields.append(("-" if field.startswith("-") else "") + renames.get(name, name))
    allowed = ("id", "dag_id", "run_id", "task_id", "map_index", "state", "try_number", "start_date", "end_date",
               "duration", "pool", "queue", "priority_weight", "operator", "queued_dttm", "scheduled_dttm",
               "hostname", "updated_at", "pid")  # fmt: skip
    order = _order(fields, allowed, "dag_id, run_id, task_id, map_index")
    only_dag = (
        run_id is None
        and map_index is None
        and not (
            task_ids
            or mapped_only
            or states
            or pools
            or queues
            or ranges
            or (task_id_pattern and task_id_pattern != "~")
        )
    )
    counted = Counted("task_instance", None if dag_id is None else [dag_id]) if only_dag else None
    joined = _TI_VERSION if with_versions else ""
    rows, total = await _page_rows(db, "task_instance", filters, order, limit, offset, counted, joined=joined)
    return TiPage(rows, total, _joined_versions(rows) if with_versions else {})


@dataclass(frozen=True, slots=True)
class TiPage:
    """One page of task instances (their rows: a listing shows them without records), the number of them matching
    the filters and, when asked for, the DAG versions the page's task instances ran with (without their serialized
    data)."""

    rows: Sequence[Row]
    total_entries: int
    versions: dict[uuid.UUID, DagVersionRecord]

    @property
    def items(self) -> list[TaskInstanceRecord]:
        """The page's task instances as records (built at each call)."""
        return from_rows(TaskInstanceRecord, self.rows)  # type: ignore[arg-type]


_VERSION_FIELDS = tuple(f.name for f in dataclasses.fields(DagVersionRecord))


def _version_join(version_id: str) -> str:
    """Each listed row's DAG version (its columns as `version_<name>`, the data left out), joined to the page.
    LIMIT 1 keeps the subquery a probe of dag_version's key per row: without it PostgreSQL flattens the join and
    hashes the whole dag_version table for one page."""
    columns = ", ".join(f"{'NULL::jsonb' if n == 'data' else 'v.' + n} AS version_{n}" for n in _VERSION_FIELDS)
    return f"LEFT JOIN LATERAL (SELECT {columns} FROM dag_version v WHERE v.id = {version_id} LIMIT 1) version ON true"


def _joined_versions(rows: Sequence[Any]) -> dict[uuid.UUID, DagVersionRecord]:
    """The distinct versions `_version_join` added to a page's rows."""
    versions: dict[uuid.UUID, DagVersionRecord] = {}
    for row in rows:
        version_id = row["version_id"]
        if version_id is not None and version_id not in versions:
            versions[version_id] = from_row(DagVersionRecord, row, prefix="version_")
    return versions


_TI_VERSION = _version_join("task_instance.dag_version_id")


def _dag_name_join(table: str) -> str:
    """Each listed row of `table`'s DAG display name as `riir_dag_display_name`, as `display_names` reads it (None
    without a DAG row): one probe of dag's key per row (LIMIT 1: see `_version_join`)."""
    return (
        "LEFT JOIN LATERAL (SELECT coalesce(d.dag_display_name, d.dag_id) AS riir_dag_display_name FROM dag d "
        f"WHERE d.dag_id = {table}.dag_id LIMIT 1) named ON true"
    )


_RUN_DAG_NAME = _dag_name_join("dag_run")
# The same for a page of one DAG's rows ({}: the DAG): an uncorrelated subquery, run once for the page.
_ONE_DAG_NAME = (
    "LEFT JOIN (SELECT coalesce(d.dag_display_name, d.dag_id) AS riir_dag_display_name FROM dag d "
    "WHERE d.dag_id = {0}) named ON true"
)


def _run_dates_join(table: str) -> str:
    """Each listed row of `table`'s run dates as `riir_run_logical_date` and `riir_run_after` (None without a run
    row): one probe of dag_run's key per row (LIMIT 1: see `_version_join`)."""
    return (
        "LEFT JOIN LATERAL (SELECT r.logical_date AS riir_run_logical_date, r.run_after AS riir_run_after FROM "
        f"dag_run r WHERE r.dag_id = {table}.dag_id AND r.run_id = {table}.run_id LIMIT 1) run ON true"
    )


# What `_run_dates_join` and `_dag_name_join` add, for a page of one run's rows ({}: the DAG and the run): an
# uncorrelated subquery, run once for the page instead of once per row.
_ONE_RUN_DATES_AND_NAME = (
    "LEFT JOIN (SELECT r.logical_date AS riir_run_logical_date, r.run_after AS riir_run_after, "
    "(SELECT coalesce(d.dag_display_name, d.dag_id) FROM dag d WHERE d.dag_id = r.dag_id) AS riir_dag_display_name "
    "FROM dag_run r WHERE r.dag_id = {0} AND r.run_id = {1}) run ON true"
)


async def dag_name_and_run(db: Db, dag_id: str, run_id: str) -> tuple[str | None, DagRunRecord | None]:
    """The DAG's display name (None: no such DAG) and its run `run_id` (None: no such run), in one statement."""
    async with _one_statement(db) as conn:
        row = await conn.fetchrow(
            "SELECT coalesce(d.dag_display_name, d.dag_id) AS riir_dag_display_name, r.* FROM dag d "
            "LEFT JOIN dag_run r ON r.dag_id = d.dag_id AND r.run_id = $2 WHERE d.dag_id = $1",
            dag_id, run_id,
        )  # fmt: skip
    if row is None:
        return None, None
    return row["riir_dag_display_name"], None if row["run_id"] is None else from_row(DagRunRecord, row)


async def runs_by_key(db: Db, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], DagRunRecord]:
    if not keys:
        return {}
    async with _one_statement(db) as conn:
        rows = await conn.fetch(
            "SELECT r.* FROM dag_run r JOIN unnest($1::text[], $2::text[]) AS k(dag_id, run_id) "
            "ON r.dag_id = k.dag_id AND r.run_id = k.run_id",
            [k[0] for k in keys], [k[1] for k in keys],
        )  # fmt: skip
    return {(r["dag_id"], r["run_id"]): from_row(DagRunRecord, r) for r in rows}


async def set_ti_note(db: Db, dag_id: str, run_id: str, task_id: str, map_index: int, note: str | None) -> None:
    async with transaction(db) as conn:
        await conn.execute(
            "UPDATE task_instance SET note = $5, updated_at = now() WHERE dag_id = $1 AND run_id = $2 "
            "AND task_id = $3 AND map_index = $4",
            dag_id, run_id, task_id, map_index, note,
        )  # fmt: skip


async def set_ti_states(
    db: Db,
    dag_id: str,
    run_id: str,
    task_ids: Collection[str],
    state: str,
    *,
    map_index: int | None = None,
    dry_run: bool = False,
) -> list[TaskInstanceRecord]:
    """Force task instances of one run into `state` (a user marking them); returns the rows changed (with
    `dry_run`, those that would change)."""
    async with transaction(db) as conn:
        if dry_run:
            rows = await conn.fetch(
                "SELECT * FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = ANY($3::text[]) "
                "AND ($5::int IS NULL OR map_index = $5) AND state IS DISTINCT FROM $4 ORDER BY task_id, map_index",
                dag_id, run_id, list(task_ids), state, map_index,
            )  # fmt: skip
            return from_rows(TaskInstanceRecord, rows)
        rows = await conn.fetch(
            """
            UPDATE task_instance SET state = $4, updated_at = now(),
                start_date = coalesce(start_date, now()),
                end_date = CASE WHEN $4 IN ('success', 'failed', 'skipped', 'upstream_failed', 'removed')
                    THEN now() ELSE end_date END
            WHERE dag_id = $1 AND run_id = $2 AND task_id = ANY($3::text[])
                AND ($5::int IS NULL OR map_index = $5) AND state IS DISTINCT FROM $4
            RETURNING *
            """,
            dag_id, run_id, list(task_ids), state, map_index,
        )  # fmt: skip
    return from_rows(TaskInstanceRecord, rows)


async def clear_task_instances(
    db: Db,
    dag_id: str,
    run_ids: Collection[str],
    *,
    task_ids: Collection[str] | None = None,
    only_failed: bool = False,
    only_running: bool = False,
    dry_run: bool = False,
    reset_runs: bool = True,
    retries: Mapping[str, int] | None = None,
    map_indexes: Collection[tuple[str, int]] = (),
) -> list[TaskInstanceRecord]:
    """Clear task instances so they run again, as Airflow's `clear_task_instances`: running ones become
    `restarting` (their app stops them), the others lose their state with `max_tries = try_number + retries`
    (the next claim starts try_number + 1); the cleared tries' sensor reschedules are deleted. With `reset_runs`,
    each run gets a new `queued_at`, and a finished run goes back to `queued` with a new start_date (a run still
    queued or running is left as it is). Returns the task instances cleared (before clearing when `dry_run`).
    `map_indexes`: single (task_id, map_index) pairs cleared besides the whole `task_ids`."""
    filters = _Filters()
    filters.add("dag_id = {}", dag_id)
    filters.add("run_id = ANY({}::text[])", list(run_ids))
    if task_ids is not None or map_indexes:
        pairs = list(map_indexes)
        filters.add("(task_id = ANY({}::text[]) OR (task_id, map_index) IN "
                    "(SELECT * FROM unnest({}::text[], {}::int[])))",
                    list(task_ids or ()), [t for t, _ in pairs], [i for _, i in pairs])  # fmt: skip
    if only_failed:
        filters.add("state = ANY({}::text[])", ["failed", "upstream_failed"])
    if only_running:
        filters.add("state = {}", "running")
    filters.args.append(dict(retries or {}))
    retries_param = f"${len(filters.args)}"
    async with transaction(db) as conn:
        if dry_run:
            rows = await conn.fetch(
                f"SELECT * FROM task_instance {filters.where()} ORDER BY run_id, task_id, map_index", *filters.args[:-1]
            )
            return from_rows(TaskInstanceRecord, rows)
        rows = await conn.fetch(
            f"""
            UPDATE task_instance SET updated_at = now(),
                state = CASE WHEN state = 'running' THEN 'restarting' ELSE NULL END,
                max_tries = CASE WHEN state = 'running' THEN max_tries
                    ELSE try_number + coalesce(({retries_param}::jsonb ->> task_id)::int, 0) END,
                end_date = NULL, next_method = NULL, next_kwargs = NULL
            {filters.where()}
            RETURNING *
            """,
            *filters.args,
        )
        if rows:
            # Airflow's prepare_db_for_next_try: the reschedules of the cleared tries go with them.
            await conn.execute("DELETE FROM task_reschedule WHERE ti_id = ANY($1::uuid[])", [r["id"] for r in rows])
        if rows and reset_runs:
            await conn.execute(
                """
                UPDATE dag_run SET queued_at = now(), updated_at = now(),
                    state = CASE WHEN state IN ('success', 'failed') THEN 'queued' ELSE state END,
                    start_date = CASE WHEN state IN ('success', 'failed') THEN now() ELSE start_date END,
                    end_date = CASE WHEN state IN ('success', 'failed') THEN NULL ELSE end_date END
                WHERE dag_id = $1 AND run_id = ANY($2::text[])
                """,
                dag_id, sorted({r["run_id"] for r in rows}),
            )  # fmt: skip
    return from_rows(TaskInstanceRecord, rows)


async def mark_run(db: Db, dag_id: str, run_id: str, state: str) -> None:
    """A user marks a whole run: success finishes every unfinished task as success; failed fails the running
    tasks and skips those that had not started (Airflow's semantics)."""
    async with transaction(db) as conn:
        if state == "success":
            await conn.execute(
                "UPDATE task_instance SET state = 'success', end_date = now(), start_date = coalesce(start_date, "
                "now()), updated_at = now() WHERE dag_id = $1 AND run_id = $2 AND (state IS NULL OR state = ANY($3))",
                dag_id, run_id, list(UNFINISHED_TI_STATES),
            )  # fmt: skip
        elif state == "failed":
            await conn.execute(
                "UPDATE task_instance SET state = CASE WHEN state = 'running' THEN 'failed' ELSE 'skipped' END, "
                "end_date = now(), start_date = coalesce(start_date, now()), updated_at = now() "
                "WHERE dag_id = $1 AND run_id = $2 AND (state IS NULL OR state = ANY($3))",
                dag_id, run_id, list(UNFINISHED_TI_STATES),
            )  # fmt: skip
        await conn.execute(
            """
            UPDATE dag_run SET state = $3, updated_at = now(),
                end_date = CASE WHEN $3 IN ('success', 'failed') THEN now() ELSE NULL END,
                queued_at = CASE WHEN $3 = 'queued' THEN now() ELSE queued_at END
            WHERE dag_id = $1 AND run_id = $2
            """,
            dag_id, run_id, state,
        )  # fmt: skip


async def delete_xcom(db: Db, dag_id: str, run_id: str, task_id: str, map_index: int, key: str) -> bool:
    async with transaction(db) as conn:
        status = await conn.execute(
            "DELETE FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND key = $5",
            dag_id, run_id, task_id, map_index, key,
        )  # fmt: skip
    return status.endswith(" 1")


async def return_values(db: Db, dag_id: str, run_id: str, task_ids: Sequence[str]) -> dict[str, Any]:
    """The `return_value` XComs of some tasks of a run, by task id: a mapped task's as a list by map index."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT task_id, map_index, value FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = ANY($3) "
            "AND key = 'return_value' ORDER BY task_id, map_index",
            dag_id, run_id, list(task_ids),
        )  # fmt: skip
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row["task_id"], []).append(row)
    return {
        task_id: entries[0]["value"]
        if len(entries) == 1 and entries[0]["map_index"] < 0
        else [e["value"] for e in entries]
        for task_id, entries in grouped.items()
    }


async def list_xcoms_filtered(
    db: Db,
    *,
    dag_id: str | None,
    run_id: str | None,
    task_id: str | None,
    key: str | None,
    map_index: int | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """XCom rows with their run's dates (`riir_run_logical_date`, `riir_run_after`) and their DAG's display name
    (`riir_dag_display_name`, None without a DAG row), and the number of rows matching: one statement (every XCom row
    has its run: a foreign key)."""
    filters = _Filters()
    for column, value in (("dag_id", dag_id), ("run_id", run_id), ("task_id", task_id), ("key", key),
                          ("map_index", map_index)):  # fmt: skip
        if value is not None:
            filters.add(f"{column} = {{}}", value)
    only_dag = run_id is None and task_id is None and key is None and map_index is None
    counted = Counted("xcom", None if dag_id is None else [dag_id]) if only_dag else None
    order = "ORDER BY dag_id, run_id, task_id, map_index, key"
    if dag_id is not None and run_id is not None:  # one run: its dates and DAG name read once, not once per row
        join, join_args = _ONE_RUN_DATES_AND_NAME, [dag_id, run_id]
    else:
        join, join_args = f"{_run_dates_join('xcom')} {_dag_name_join('xcom')}", []
    rows, total = await _page_rows(
        db, "xcom", filters, order, limit, offset, counted, joined=join, joined_args=join_args
    )
    return [dict(r) for r in rows], total


async def read_log_page(
    db: Db, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int, after_id: int, limit: int
) -> list[dict[str, Any]]:
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT id, timestamp, stream, line FROM task_log WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 "
            "AND map_index = $4 AND try_number = $5 AND id > $6 ORDER BY id LIMIT $7",
            dag_id, run_id, task_id, map_index, try_number, after_id, limit,
        )  # fmt: skip
    return [dict(r) for r in rows]


async def list_assets(
    db: Db,
    *,
    name_pattern: str | None,
    uri_pattern: str | None,
    order_by: Sequence[str],
    limit: int,
    offset: int,
    only_active: bool = False,
) -> Page[AssetRecord]:
    """Assets, with `only_active` those in `asset_active` (Airflow's default for its list)."""
    filters = _Filters()
    if only_active:
        filters.add("EXISTS (SELECT 1 FROM asset_active a WHERE a.name = asset.name AND a.uri = asset.uri)")
    if name_pattern and name_pattern != "~":
        filters.add("name ILIKE ANY({}::text[])", like_pattern(name_pattern))
    if uri_pattern and uri_pattern != "~":
        filters.add("uri ILIKE ANY({}::text[])", like_pattern(uri_pattern))
    order = _order(order_by, ("id", "name", "uri", "created_at", "updated_at"), "id")
    return await _page(db, AssetRecord, "asset", filters, order, limit, offset)


async def get_asset(db: Db, asset_id: int) -> AssetRecord | None:
    async with transaction(db) as conn:
        row = await conn.fetchrow("SELECT * FROM asset WHERE id = $1", asset_id)
    return None if row is None else from_row(AssetRecord, row)


async def get_event(db: Db, event_id: int) -> EventRecord | None:
    async with transaction(db) as conn:
        row = await conn.fetchrow("SELECT * FROM event WHERE id = $1", event_id)
    return None if row is None else from_row(EventRecord, row)


async def list_all_apps(db: Db) -> tuple[list[AppRecord], datetime.datetime]:
    """Every registered app and the database's clock (heartbeat ages are measured against it)."""
    async with transaction(db) as conn:
        rows = await conn.fetch("SELECT * FROM app ORDER BY name, id")
        now = await conn.fetchval("SELECT now()")
    return from_rows(AppRecord, rows), now


async def dag_app_ids(db: Db, dag_ids: Collection[str]) -> dict[str, str | None]:
    async with transaction(db) as conn:
        rows = await conn.fetch("SELECT dag_id, app_id FROM dag WHERE dag_id = ANY($1::text[])", list(dag_ids))
    return {r["dag_id"]: r["app_id"] for r in rows}


async def existing_run_states(
    db: Db, dag_id: str, dates: Collection[datetime.datetime]
) -> dict[datetime.datetime, str]:
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT logical_date, state FROM dag_run WHERE dag_id = $1 AND logical_date = ANY($2::timestamptz[])",
            dag_id, list(dates),
        )  # fmt: skip
    return {r["logical_date"]: r["state"] for r in rows}


async def active_backfill(db: Db, dag_id: str) -> int | None:
    async with transaction(db) as conn:
        value = await conn.fetchval(
            "SELECT id FROM backfill WHERE dag_id = $1 AND completed_at IS NULL LIMIT 1", dag_id
        )
    return None if value is None else int(value)


async def dag_stats(db: Db, dag_ids: Collection[str] | None) -> dict[str, dict[str, int]]:
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT dag_id, state, count(*) AS n FROM dag_run WHERE ($1::text[] IS NULL OR dag_id = ANY($1::text[])) "
            "GROUP BY dag_id, state",
            None if dag_ids is None else list(dag_ids),
        )
    stats: dict[str, dict[str, int]] = {}
    for r in rows:
        stats.setdefault(r["dag_id"], {})[r["state"]] = int(r["n"])
    return stats


async def all_tags(db: Db, pattern: str | None, limit: int, offset: int) -> tuple[list[str], int]:
    filters = _Filters()
    if pattern and pattern != "~":
        filters.add("tag ILIKE ANY({}::text[])", like_pattern(pattern))
    base = f"FROM (SELECT DISTINCT unnest(tags) AS tag FROM dag) t {filters.where()}"
    async with transaction(db) as conn:
        total = await conn.fetchval(f"SELECT count(*) {base}", *filters.args)
        rows = await conn.fetch(f"SELECT tag {base} ORDER BY tag {filters.page(limit, offset)}", *filters.args)
    return [r["tag"] for r in rows], int(total)


async def list_deployments(
    db: Db,
    *,
    dag_id: str | None = None,
    environment: str | None = None,
    deployed_by: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[DagVersionRecord]:
    """DAG versions with who deployed them (newest first), without their serialized documents. `environment=""`
    selects production (no environment)."""
    filters = _Filters()
    if dag_id is not None:
        filters.add("dag_id = {}", dag_id)
    if environment is not None:
        filters.add("coalesce(environment, '') = {}", environment)
    if deployed_by is not None:
        filters.add("deployed_by = {}", deployed_by)
    columns = (
        "id, dag_id, version_number, dag_hash, NULL::jsonb AS data, bundle_name, bundle_version, created_at, "
        "deployed_by, service_account, image, environment"
    )
    async with transaction(db) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM dag_version {filters.where()}", *filters.args)
        page = filters.page(limit, offset)
        rows = await conn.fetch(
            f"SELECT {columns} FROM dag_version {filters.where()} "
            f"ORDER BY created_at DESC, dag_id, version_number DESC {page}",
            *filters.args,
        )
    return Page(from_rows(DagVersionRecord, rows), int(total))


async def consumed_asset_events(db: Db, dag_id: str, run_id: str) -> list[AssetEventRecord] | None:
    """The asset events a run consumed (None: no such run)."""
    async with transaction(db) as conn:
        run_pk = await conn.fetchval("SELECT id FROM dag_run WHERE dag_id = $1 AND run_id = $2", dag_id, run_id)
        if run_pk is None:
            return None
        rows = await conn.fetch(
            "SELECT e.* FROM asset_event e JOIN dagrun_asset_event c ON c.event_id = e.id WHERE c.dag_run_id = $1 "
            "ORDER BY e.timestamp, e.id",
            run_pk,
        )
    return from_rows(AssetEventRecord, rows)
