"""Asset-triggered runs (migration 0012): a DAG's schedule references, its queue of updated assets, the run that
consumes them, and the events a run was triggered by (`triggering_asset_events`).

Airflow's model: an asset event queues (asset, DAG) for every DAG scheduled on the asset (a database trigger does it
here, whoever records the event, so a producer in one app wakes a consumer in another); the consumer's scheduler
creates a run once its asset condition holds over the queued assets, links the events since its previous
asset-triggered run to it, and empties its queue.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from typing import Any

from riir_airflow.metastore.queries import Db, transaction


async def set_references(db: Db, dag_id: str, assets: Collection[tuple[str, str]], aliases: Collection[str]) -> None:
    """Which assets (name, uri) and aliases the DAG is scheduled on now (replacing what an earlier version said)."""
    async with transaction(db) as conn:
        await conn.execute(
            "DELETE FROM dag_schedule_asset_reference WHERE dag_id = $1 AND (name, uri) NOT IN "
            "(SELECT * FROM unnest($2::text[], $3::text[]))",
            dag_id, [n for n, _ in assets], [u for _, u in assets],
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO dag_schedule_asset_reference (dag_id, name, uri) SELECT $1, * FROM unnest($2::text[], "
            "$3::text[]) ON CONFLICT DO NOTHING",
            dag_id, [n for n, _ in assets], [u for _, u in assets],
        )  # fmt: skip
        await conn.execute(
            "DELETE FROM dag_schedule_asset_alias_reference WHERE dag_id = $1 AND alias_name <> ALL($2::text[])",
            dag_id, list(aliases),
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO dag_schedule_asset_alias_reference (dag_id, alias_name) SELECT $1, * FROM "
            "unnest($2::text[]) ON CONFLICT DO NOTHING",
            dag_id, list(aliases),
        )  # fmt: skip


async def queued(db: Db, dag_id: str, aliases: Collection[str]) -> tuple[set[tuple[str, str]], set[str]]:
    """The DAG's queued assets (name, uri), and which of `aliases` have had an event of a queued asset."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT a.id, a.name, a.uri FROM asset_dag_run_queue q JOIN asset a ON a.id = q.asset_id "
            "WHERE q.target_dag_id = $1",
            dag_id,
        )
        hit: set[str] = set()
        if rows and aliases:
            found = await conn.fetch(
                "SELECT DISTINCT al.name FROM asset_alias al JOIN asset_alias_asset_event l ON l.alias_id = al.id "
                "JOIN asset_event e ON e.id = l.event_id WHERE al.name = ANY($1::text[]) AND e.asset_id = ANY($2)",
                list(aliases), [r["id"] for r in rows],
            )  # fmt: skip
            hit = {r["name"] for r in found}
    return {(r["name"], r["uri"]) for r in rows}, hit


async def consume_into_run(
    conn: Any,
    dag_id: str,
    run_pk: int,
    run_after: datetime.datetime,
    assets: Collection[tuple[str, str]],
    aliases: Collection[str],
) -> int:
    """Inside the transaction that created the asset-triggered run `run_pk`: links the events of the DAG's assets and
    aliases since its previous asset-triggered run (up to `run_after`), and empties the DAG's queue. Returns the
    number of events linked."""
    status = await conn.execute(
        """
        INSERT INTO dagrun_asset_event (dag_run_id, event_id, dag_id)
        SELECT $2, e.id, $1 FROM asset_event e JOIN asset a ON a.id = e.asset_id
        WHERE e.timestamp <= $3
          AND e.timestamp > coalesce((SELECT max(run_after) FROM dag_run WHERE dag_id = $1
                                      AND run_type = 'asset_triggered' AND id <> $2), '-infinity')
          AND ((a.name, a.uri) IN (SELECT * FROM unnest($4::text[], $5::text[]))
               OR e.id IN (SELECT l.event_id FROM asset_alias_asset_event l JOIN asset_alias al ON al.id = l.alias_id
                           WHERE al.name = ANY($6::text[])))
        ON CONFLICT DO NOTHING
        """,
        dag_id, run_pk, run_after, [n for n, _ in assets], [u for _, u in assets], list(aliases),
    )  # fmt: skip
    await conn.execute("DELETE FROM asset_dag_run_queue WHERE target_dag_id = $1", dag_id)
    return int(status.split()[-1])


async def record_watcher_event(db: Db, name: str, uri: str, payload: Any) -> int:
    """An AssetWatcher's trigger fired: an event of the asset, as Airflow records it."""
    async with transaction(db) as conn:
        event_id: int = await conn.fetchval(
            "SELECT riir_record_watcher_event($1, $2, $3::jsonb)",
            name, uri, {"from_trigger": True, "payload": payload},
        )  # fmt: skip
    return event_id


def condition_holds(condition: Mapping[str, Any] | None, assets: set[tuple[str, str]], aliases: set[str]) -> bool:
    """Evaluates a serialized asset condition ({"all": [...]}, {"any": [...]}, {"asset": {...}}, {"alias": {...}})
    over the queued assets and the aliases that saw one of them (Airflow's `evaluate`)."""
    if not condition:
        return False
    if "all" in condition:
        return all(condition_holds(c, assets, aliases) for c in condition["all"])
    if "any" in condition:
        return any(condition_holds(c, assets, aliases) for c in condition["any"])
    if "asset" in condition:
        asset = condition["asset"]
        return (str(asset.get("name")), str(asset.get("uri"))) in assets
    if "alias" in condition:
        return str(condition["alias"].get("name")) in aliases
    return False


def condition_leaves(condition: Mapping[str, Any] | None) -> tuple[list[tuple[str, str]], list[str]]:
    """The assets (name, uri) and alias names a serialized condition mentions."""
    assets: list[tuple[str, str]] = []
    aliases: list[str] = []

    def walk(node: Any) -> None:
        if not isinstance(node, Mapping):
            return
        for key in ("all", "any"):
            for child in node.get(key) or ():
                walk(child)
        if "asset" in node:
            assets.append((str(node["asset"].get("name")), str(node["asset"].get("uri"))))
        if "alias" in node:
            aliases.append(str(node["alias"].get("name")))

    walk(condition)
    return sorted(set(assets)), sorted(set(aliases))


def run_id_for(run_after: datetime.datetime, suffix: str) -> str:
    """Airflow's id of a run without a logical date: `asset_triggered__<run_after>_<random>`."""
    return f"asset_triggered__{run_after.isoformat()}_{suffix}"
