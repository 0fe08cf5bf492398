"""Asset events that tasks register and read (`outlet_events` / `inlet_events`), with the aliases they came through.

Events arrive as the JSON form of engine.asset_events.EventToRegister (the metastore layer imports no engine
code): {"name", "uri", "group", "asset_extra", "extra", "aliases", "partition_key"}.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from riir_airflow.metastore.queries import Db, transaction
from riir_airflow.metastore.records import TaskInstanceKey

Conn = asyncpg.Connection | PoolConnectionProxy


async def insert_task_asset_events(conn: Conn, source: TaskInstanceKey, events: Sequence[Mapping[str, Any]]) -> None:
    """Registers a successful try's asset events inside the caller's transaction.

    An asset first seen here (emitted through an alias) is created, as Airflow creates it "dynamically"; an existing
    asset keeps its group and extra.
    """
    for event in events:
        # Through migration 0012's checked functions: a confined app may not write the shared asset tables itself.
        await conn.fetchval(
            "SELECT riir_declare_asset($1, $2, $3, $4::jsonb)",
            event["name"], event["uri"], event["group"], dict(event["asset_extra"]),
        )  # fmt: skip
        event_id = await conn.fetchval(
            "INSERT INTO asset_event (asset_id, extra, source_dag_id, source_task_id, source_run_id, source_map_index, "
            "partition_key) SELECT id, $3, $4, $5, $6, $7, $8 FROM asset WHERE name = $1 AND uri = $2 RETURNING id",
            event["name"], event["uri"], dict(event["extra"]), source.dag_id, source.task_id, source.run_id,
            source.map_index, event.get("partition_key"),
        )  # fmt: skip
        for alias in event.get("aliases", []):
            alias_id = await conn.fetchval("SELECT riir_declare_asset_alias($1)", alias)
            await conn.execute("SELECT riir_link_alias_event($1, $2)", alias_id, event_id)


async def select_asset_events(
    db: Db,
    *,
    name: str | None = None,
    uri: str | None = None,
    alias_name: str | None = None,
    after: str | None = None,
    before: str | None = None,
    ascending: bool = True,
    limit: int | None = None,
    consumed_by: tuple[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The events `inlet_events[...]` asks for, as JSON rows (engine.asset_events.event_row's shape);
    `consumed_by` (dag_id, run_id): only those that asset-triggered run consumed (`triggering_asset_events`)."""
    conditions: list[str] = []
    args: list[Any] = []

    def where(sql: str, value: Any) -> None:
        args.append(value)
        conditions.append(sql.format(f"${len(args)}"))

    if consumed_by is not None:
        args.append(consumed_by[0])
        where(
            "e.id IN (SELECT c.event_id FROM dagrun_asset_event c JOIN dag_run r ON r.id = c.dag_run_id "
            f"WHERE r.dag_id = ${len(args)} AND r.run_id = {{}})",
            consumed_by[1],
        )
    if alias_name is not None:
        where(
            "e.id IN (SELECT l.event_id FROM asset_alias_asset_event l JOIN asset_alias al ON al.id = l.alias_id "
            "WHERE al.name = {})",
            alias_name,
        )
    else:
        if name is not None:
            where("a.name = {}", name)
        if uri is not None:
            where("a.uri = {}", uri)
    if after is not None:
        where("e.timestamp >= {}", datetime.datetime.fromisoformat(after))
    if before is not None:
        where("e.timestamp <= {}", datetime.datetime.fromisoformat(before))
    order = "ASC" if ascending else "DESC"
    sql = (
        'SELECT e.*, a.name, a.uri, a."group", a.extra AS asset_extra, '
        "coalesce((SELECT array_agg(al.name ORDER BY al.name) FROM asset_alias_asset_event l "
        "JOIN asset_alias al ON al.id = l.alias_id WHERE l.event_id = e.id), '{}') AS aliases "
        "FROM asset_event e JOIN asset a ON a.id = e.asset_id"
        + (" WHERE " + " AND ".join(conditions) if conditions else "")
        + f" ORDER BY e.timestamp {order}, e.id {order}"
    )
    if limit is not None:
        args.append(limit)
        sql += f" LIMIT ${len(args)}"
    async with transaction(db) as conn:
        rows = await conn.fetch(sql, *args)
    return [
        {
            "id": row["id"],
            "timestamp": row["timestamp"].isoformat(),
            "asset": {"name": row["name"], "uri": row["uri"], "group": row["group"], "extra": row["asset_extra"]},
            "extra": row["extra"],
            "source_dag_id": row["source_dag_id"],
            "source_task_id": row["source_task_id"],
            "source_run_id": row["source_run_id"],
            "source_map_index": row["source_map_index"],
            "partition_key": row["partition_key"],
            "aliases": list(row["aliases"]),
        }
        for row in rows
    ]


async def asset_state(
    db: Db,
    op: str,
    *,
    name: str | None = None,
    uri: str | None = None,
    asset: Sequence[str] | None = None,
    key: str | None = None,
    value: Any = None,
    writer: TaskInstanceKey | None = None,
) -> Any:
    """One `asset_state_store` operation: get -> {"found", "value"}; set (creating the declared asset when it is new),
    delete, clear -> None. The asset is found by its declared (name, uri), else by name or URI. `writer` is the
    try that writes (recorded as last_updated_by)."""
    async with transaction(db) as conn:
        if asset:
            asset_id = await conn.fetchval("SELECT id FROM asset WHERE name = $1 AND uri = $2", asset[0], asset[1])
        elif name:
            asset_id = await conn.fetchval("SELECT id FROM asset WHERE name = $1 ORDER BY id LIMIT 1", name)
        else:
            asset_id = await conn.fetchval("SELECT id FROM asset WHERE uri = $1 ORDER BY id LIMIT 1", uri)
        if op == "get":
            if asset_id is None:
                return {"found": False, "value": None}
            row = await conn.fetchrow("SELECT value FROM asset_state WHERE asset_id = $1 AND key = $2", asset_id, key)
            return {"found": row is not None, "value": None if row is None else row["value"]}
        if op == "set":
            if asset_id is None:
                if not asset:
                    raise LookupError(f"Asset {name or uri!r} is not known to the metastore")
                asset_id = await conn.fetchval(
                    "INSERT INTO asset (name, uri) VALUES ($1, $2) ON CONFLICT (name, uri) DO UPDATE "
                    "SET name = EXCLUDED.name RETURNING id",
                    asset[0], asset[1],
                )  # fmt: skip
            await upsert_asset_state(conn, asset_id, key, value, writer)
        elif op == "delete":
            await conn.execute("DELETE FROM asset_state WHERE asset_id = $1 AND key = $2", asset_id, key)
        elif op == "clear":
            await conn.execute("DELETE FROM asset_state WHERE asset_id = $1", asset_id)
        else:
            raise ValueError(f"unknown asset state operation {op!r}")
    return None


async def upsert_asset_state(conn: Conn, asset_id: int, key: str | None, value: Any, writer: Any) -> None:
    """Writes one state value; `writer` is the task instance key of the writing try, or None for the API."""
    await conn.execute(
        """
        INSERT INTO asset_state (asset_id, key, value, last_updated_by_kind, last_updated_by_dag_id,
            last_updated_by_run_id, last_updated_by_task_id, last_updated_by_map_index)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (asset_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(),
            last_updated_by_kind = EXCLUDED.last_updated_by_kind,
            last_updated_by_dag_id = EXCLUDED.last_updated_by_dag_id,
            last_updated_by_run_id = EXCLUDED.last_updated_by_run_id,
            last_updated_by_task_id = EXCLUDED.last_updated_by_task_id,
            last_updated_by_map_index = EXCLUDED.last_updated_by_map_index
        """,
        asset_id, key, value, "task" if writer else "api", getattr(writer, "dag_id", None),
        getattr(writer, "run_id", None), getattr(writer, "task_id", None), getattr(writer, "map_index", None),
    )  # fmt: skip


async def asset_exists(db: Db, asset_id: int) -> bool:
    async with transaction(db) as conn:
        return bool(await conn.fetchval("SELECT 1 FROM asset WHERE id = $1", asset_id))


async def list_asset_state(
    db: Db, asset_id: int, *, key: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """An asset's state entries (one key, or all by key), with who wrote each last."""
    where = "asset_id = $1" if key is None else "asset_id = $1 AND key = $2"
    args: list[Any] = [asset_id] if key is None else [asset_id, key]
    async with transaction(db) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM asset_state WHERE {where}", *args)
        rows = await conn.fetch(
            f"SELECT * FROM asset_state WHERE {where} ORDER BY key LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
            *args, limit, offset,
        )  # fmt: skip
    entries = [
        {
            "key": r["key"],
            "value": r["value"],
            "updated_at": r["updated_at"],
            "last_updated_by": None if r["last_updated_by_kind"] is None else {
                "kind": r["last_updated_by_kind"], "dag_id": r["last_updated_by_dag_id"],
                "run_id": r["last_updated_by_run_id"], "task_id": r["last_updated_by_task_id"],
                "map_index": r["last_updated_by_map_index"],
            },
        }
        for r in rows
    ]  # fmt: skip
    return entries, int(total)


async def set_asset_state_api(db: Db, asset_id: int, key: str, value: Any) -> None:
    async with transaction(db) as conn:
        await upsert_asset_state(conn, asset_id, key, value, None)


async def delete_asset_state(db: Db, asset_id: int, key: str | None = None) -> None:
    """One key, or (key None) every key of the asset."""
    async with transaction(db) as conn:
        if key is None:
            await conn.execute("DELETE FROM asset_state WHERE asset_id = $1", asset_id)
        else:
            await conn.execute("DELETE FROM asset_state WHERE asset_id = $1 AND key = $2", asset_id, key)
