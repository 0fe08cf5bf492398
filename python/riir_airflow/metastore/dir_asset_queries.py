"""What the UI's directory-asset page reads: a `DirAsset`'s events (each carries its manifest and diff in `extra`)
and the asset-triggered runs that consumed them, with how many of their task instances were cache hits."""

from __future__ import annotations

from typing import Any

from riir_airflow.metastore.queries import Db, transaction

# The note every cache hit of a `cache="file"` task carries (runtime.file_cache.CACHED_NOTE_PREFIX).
CACHED_NOTE_PATTERN = "cached:%"


async def manifest_events(db: Db, asset_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The asset's events that carry a manifest (newest first)."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT id, extra, source_dag_id, source_task_id, source_run_id, timestamp FROM asset_event "
            "WHERE asset_id = $1 AND extra ? 'riir_manifest' ORDER BY id DESC LIMIT $2",
            asset_id, limit,
        )  # fmt: skip
    return [dict(r) for r in rows]


async def asset_id_by_uri(db: Db, uri: str) -> int | None:
    """The id of the (newest) asset with this URI, or None."""
    async with transaction(db) as conn:
        value = await conn.fetchval("SELECT id FROM asset WHERE uri = $1 ORDER BY id DESC LIMIT 1", uri)
    return None if value is None else int(value)


async def is_dir_asset(db: Db, asset_ids: list[int]) -> set[int]:
    """Which of the assets have manifest events (directory assets)."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT DISTINCT asset_id FROM asset_event WHERE asset_id = ANY($1::int[]) AND extra ? 'riir_manifest'",
            asset_ids,
        )
    return {int(r["asset_id"]) for r in rows}


async def consumer_runs(db: Db, asset_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The runs triggered by the asset's events (newest first): which events each consumed, and how many of its
    task instances succeeded by running and how many were cache hits (noted "cached: ...")."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            """
            SELECT r.dag_id, r.run_id, r.state, r.run_after, array_agg(l.event_id ORDER BY l.event_id) AS event_ids,
                (SELECT count(*) FROM task_instance t WHERE t.dag_id = r.dag_id AND t.run_id = r.run_id
                    AND t.note LIKE $3) AS cached,
                (SELECT count(*) FROM task_instance t WHERE t.dag_id = r.dag_id AND t.run_id = r.run_id
                    AND t.state = 'success' AND (t.note IS NULL OR t.note NOT LIKE $3)) AS ran
            FROM dagrun_asset_event l
            JOIN dag_run r ON r.id = l.dag_run_id
            JOIN asset_event e ON e.id = l.event_id
            WHERE e.asset_id = $1
            GROUP BY r.id
            ORDER BY r.id DESC
            LIMIT $2
            """,
            asset_id, limit, CACHED_NOTE_PATTERN,
        )  # fmt: skip
    return [dict(r) for r in rows]
