"""Enqueued connection tests (migration 0016): created pending, run by the broker that accepted them, polled by
token."""

from __future__ import annotations

from typing import Any

import asyncpg

from riir_airflow.metastore.queries import Db, transaction


class ActiveTestExists(Exception):
    """The connection has a test that has not finished yet."""


async def enqueue(
    db: Db, token: str, connection_id: str, commit_on_success: bool, *, abandoned_after: float
) -> dict[str, Any]:
    """A pending test; an active one untouched for `abandoned_after` seconds (its broker stopped) fails first."""
    try:
        async with transaction(db) as conn:
            await conn.execute(
                "UPDATE connection_test_request SET state = 'failed', result_message = 'The broker running the test "
                "stopped before it finished', updated_at = now() WHERE connection_id = $1 "
                "AND state IN ('pending', 'queued', 'running') AND updated_at < now() - make_interval(secs => $2)",
                connection_id, abandoned_after,
            )  # fmt: skip
            row = await conn.fetchrow(
                "INSERT INTO connection_test_request (token, connection_id, commit_on_success) VALUES ($1, $2, $3) "
                "RETURNING *",
                token, connection_id, commit_on_success,
            )  # fmt: skip
    except asyncpg.UniqueViolationError:
        raise ActiveTestExists(connection_id) from None
    return dict(row) if row else {}


async def set_state(db: Db, token: str, state: str, message: str | None = None) -> None:
    async with transaction(db) as conn:
        await conn.execute(
            "UPDATE connection_test_request SET state = $2, result_message = $3, updated_at = now() WHERE token = $1",
            token, state, message,
        )  # fmt: skip


async def get(db: Db, token: str) -> dict[str, Any] | None:
    async with transaction(db) as conn:
        row = await conn.fetchrow("SELECT * FROM connection_test_request WHERE token = $1", token)
    return None if row is None else dict(row)
