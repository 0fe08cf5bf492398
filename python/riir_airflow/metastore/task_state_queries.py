"""Airflow 3.3's task state store (migration 0016): JSON values by key for one task instance (dag_id, run_id,
task_id, map_index), shared by its tries. Tasks use it through their app (`context["task_state_store"]`), people
through the REST API. An expired row (expires_at past) reads as absent."""

from __future__ import annotations

import datetime
from typing import Any

from riir_airflow.metastore.queries import Db, transaction
from riir_airflow.metastore.records import TaskInstanceKey

_SCOPE = "dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4"
_LIVE = "(expires_at IS NULL OR expires_at > now())"


def _scope(key: TaskInstanceKey) -> tuple[str, str, str, int]:
    return key.dag_id, key.run_id, key.task_id, key.map_index


async def list_entries(db: Db, ti: TaskInstanceKey, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    async with transaction(db) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM task_state_store WHERE {_SCOPE} AND {_LIVE}", *_scope(ti))
        rows = await conn.fetch(
            f"SELECT key, value, updated_at, expires_at FROM task_state_store WHERE {_SCOPE} AND {_LIVE} "
            "ORDER BY key LIMIT $5 OFFSET $6",
            *_scope(ti), limit, offset,
        )  # fmt: skip
    return [dict(r) for r in rows], int(total)


async def get_entry(db: Db, ti: TaskInstanceKey, key: str) -> dict[str, Any] | None:
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            f"SELECT key, value, updated_at, expires_at FROM task_state_store WHERE {_SCOPE} AND key = $5 AND {_LIVE}",
            *_scope(ti), key,
        )  # fmt: skip
    return None if row is None else dict(row)


async def set_entry(db: Db, ti: TaskInstanceKey, key: str, value: Any, expires_at: datetime.datetime | None) -> None:
    async with transaction(db) as conn:
        await conn.execute(
            "INSERT INTO task_state_store (dag_id, run_id, task_id, map_index, key, value, expires_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dag_id, run_id, task_id, map_index, key) "
            "DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, updated_at = now()",
            *_scope(ti), key, value, expires_at,
        )  # fmt: skip


async def update_value(db: Db, ti: TaskInstanceKey, key: str, value: Any) -> bool:
    """Changes the value of a live key, keeping its expiry; False when there is none."""
    async with transaction(db) as conn:
        status = await conn.execute(
            f"UPDATE task_state_store SET value = $6, updated_at = now() WHERE {_SCOPE} AND key = $5 AND {_LIVE}",
            *_scope(ti), key, value,
        )  # fmt: skip
    return bool(status != "UPDATE 0")


async def delete_entry(db: Db, ti: TaskInstanceKey, key: str) -> None:
    async with transaction(db) as conn:
        await conn.execute(f"DELETE FROM task_state_store WHERE {_SCOPE} AND key = $5", *_scope(ti), key)


async def clear(db: Db, ti: TaskInstanceKey, *, all_map_indices: bool = False) -> None:
    async with transaction(db) as conn:
        if all_map_indices:
            await conn.execute("DELETE FROM task_state_store WHERE dag_id = $1 AND run_id = $2 AND task_id = $3",
                               ti.dag_id, ti.run_id, ti.task_id)  # fmt: skip
        else:
            await conn.execute(f"DELETE FROM task_state_store WHERE {_SCOPE}", *_scope(ti))


async def answer(
    db: Db, ti: TaskInstanceKey, op: str, key: str | None, value: Any, expires_at: str | None
) -> dict[str, Any] | None:
    """A try's `task_state_store` request, for its own task instance: get -> {"found", "value"}; set, delete,
    clear -> None."""
    if op == "get":
        entry = await get_entry(db, ti, key or "")
        return {"found": entry is not None, "value": None if entry is None else entry["value"]}
    if op == "set":
        expiry = None if expires_at is None else datetime.datetime.fromisoformat(expires_at)
        await set_entry(db, ti, key or "", value, expiry)
    elif op == "delete":
        await delete_entry(db, ti, key or "")
    elif op == "clear":
        await clear(db, ti)
    else:
        raise ValueError(f"unknown task state operation {op!r}")
    return None
