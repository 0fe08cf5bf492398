"""What the REST API reads about assets beside their rows: aliases, the DAGs producing an asset (who materializes
it), and Airflow's queued asset events (`/assets/{id}/queuedEvents`, `/dags/{dag_id}/assets/queuedEvents`): the rows of
`asset_dag_run_queue`, one per (asset, DAG scheduled on it) with an event the DAG has not consumed yet (written by
`riir_queue_asset_consumers`, emptied by the consumer's app when it creates the run; see asset_schedule_queries.py).
Deleting rows makes the DAG forget those asset updates, as in Airflow."""

from __future__ import annotations

import datetime
from typing import Any

from riir_airflow.metastore.api_queries import like_pattern
from riir_airflow.metastore.queries import Db, _Filters, _order, transaction


def _filters(asset_id: int | None, dag_id: str | None, before: datetime.datetime | None) -> _Filters:
    filters = _Filters()
    if dag_id is not None:
        filters.add("q.target_dag_id = {}", dag_id)
    if asset_id is not None:
        filters.add("q.asset_id = {}", asset_id)
    if before is not None:
        filters.add("q.created_at < {}", before)
    return filters


async def queued_events(
    db: Db, *, asset_id: int | None = None, dag_id: str | None = None, before: datetime.datetime | None = None
) -> list[dict[str, Any]]:
    filters = _filters(asset_id, dag_id, before)
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT q.target_dag_id AS dag_id, q.asset_id, q.created_at, "
            "coalesce(d.dag_display_name, q.target_dag_id) AS dag_display_name "
            f"FROM asset_dag_run_queue q LEFT JOIN dag d ON d.dag_id = q.target_dag_id {filters.where()} "
            "ORDER BY q.target_dag_id, q.asset_id",
            *filters.args,
        )
    return [dict(r) for r in rows]


async def delete_queued_events(
    db: Db, *, asset_id: int | None = None, dag_id: str | None = None, before: datetime.datetime | None = None
) -> int:
    filters = _filters(asset_id, dag_id, before)
    async with transaction(db) as conn:
        status = await conn.execute(f"DELETE FROM asset_dag_run_queue q {filters.where()}", *filters.args)
    return int(status.split()[-1])


async def list_aliases(
    db: Db, *, name_pattern: str | None, name_prefix: str | None, order_by: list[str], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    filters = _Filters()
    if name_pattern and name_pattern != "~":
        filters.add("name ILIKE ANY({}::text[])", like_pattern(name_pattern))
    if name_prefix and name_prefix != "~":
        filters.add("starts_with(name, {})", name_prefix)
    order = _order(order_by, ("id", "name"), "id")
    async with transaction(db) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM asset_alias {filters.where()}", *filters.args)
        page = filters.page(limit, offset)
        rows = await conn.fetch(f'SELECT id, name, "group" FROM asset_alias {filters.where()} {order} {page}',
                                *filters.args)  # fmt: skip
    return [dict(r) for r in rows], int(total)


async def get_alias(db: Db, alias_id: int) -> dict[str, Any] | None:
    async with transaction(db) as conn:
        row = await conn.fetchrow('SELECT id, name, "group" FROM asset_alias WHERE id = $1', alias_id)
    return None if row is None else dict(row)


async def producing_dag_ids(db: Db, asset_id: int) -> list[str]:
    """The (at most two) DAGs whose latest version has a task with the asset as an outlet (Airflow's
    task_outlet_asset_reference): who materializes the asset."""
    async with transaction(db) as conn:
        rows = await conn.fetch(
            """
            SELECT d.dag_id FROM asset a, dag d
            JOIN LATERAL (SELECT v.data FROM dag_version v WHERE v.dag_id = d.dag_id
                          ORDER BY v.version_number DESC LIMIT 1) latest ON true
            WHERE a.id = $1 AND NOT d.is_stale
              AND latest.data -> 'tasks' @> jsonb_build_array(jsonb_build_object(
                  'outlets', jsonb_build_array(jsonb_build_object('name', a.name, 'uri', a.uri))))
            ORDER BY d.dag_id LIMIT 2
            """,
            asset_id,
        )
    return [r["dag_id"] for r in rows]
