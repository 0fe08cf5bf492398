"""Airflow's DAG warnings, worked out from the metastore when asked instead of stored by a DAG processor.

riir-airflow finds the warning Airflow's DAG processor records for the DAGs it parses: `non-existent pool` (a task
of the DAG's latest serialized version names a pool the pool table lacks), with Airflow's message, stamped with
the time the DAG's app last loaded it. Airflow's other types are not raised: `asset conflict` (riir's apps keep
one asset row per name and URI) and `runtime varying value` (a check Airflow's DAG processor makes on the
parsed DAG's code, which the broker never loads).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from riir_airflow.metastore.queries import Db, _order, transaction

_WARNINGS = """(
    SELECT missing.dag_id, 'non-existent pool'::text AS warning_type,
           format('Dag %L references non-existent pools: [%s]', missing.dag_id,
                  string_agg(quote_literal(missing.pool), ', ' ORDER BY missing.pool COLLATE "C")) AS message,
           max(missing.parsed) AS "timestamp", max(missing.display_name) AS dag_display_name
    FROM (
        SELECT DISTINCT d.dag_id, t.task ->> 'pool' AS pool, coalesce(d.last_parsed_time, d.updated_at) AS parsed,
               coalesce(d.dag_display_name, d.dag_id) AS display_name
        FROM dag d
        JOIN LATERAL (SELECT v.data FROM dag_version v WHERE v.dag_id = d.dag_id
                      ORDER BY v.version_number DESC LIMIT 1) latest ON true
        CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(latest.data -> 'tasks')
                                                WHEN 'array' THEN latest.data -> 'tasks' ELSE '[]' END) AS t(task)
        WHERE NOT d.is_stale AND t.task ->> 'pool' IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM pool p WHERE p.pool = t.task ->> 'pool')
    ) AS missing
    GROUP BY missing.dag_id
) AS dag_warning"""


async def list_dag_warnings(
    db: Db, *, dag_id: str | None, warning_type: str | None, order_by: Sequence[str], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where, args = [], []
    for column, value in (("dag_id", dag_id), ("warning_type", warning_type)):
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    order = _order(order_by, ("dag_id", "warning_type", "message", "timestamp"), "dag_id")
    async with transaction(db) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM {_WARNINGS} {clause}", *args)
        rows = await conn.fetch(
            f"SELECT * FROM {_WARNINGS} {clause} {order} LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
            *args, limit, offset,
        )  # fmt: skip
    return [dict(r) for r in rows], int(total)
