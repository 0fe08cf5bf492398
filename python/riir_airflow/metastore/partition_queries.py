"""Selecting a DAG's runs by partition (`dags clear`, `partitions clear`) and clearing their partition fields.

Selectors are Airflow's: one run_id, an exact partition_key, or a partition_date window whose bounds the caller has
already turned into UTC instants (through the DAG's timetable zone). Runs come back ordered by partition_date, then
run_id, as Airflow lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from riir_airflow.metastore.queries import Db


@dataclass(frozen=True)
class PartitionRun:
    run_id: str
    partition_key: str | None
    partition_date: dt.datetime | None

    @property
    def has_partition_fields(self) -> bool:
        return self.partition_key is not None or self.partition_date is not None


async def select_runs(
    db: Db,
    dag_id: str,
    *,
    run_id: str | None = None,
    partition_key: str | None = None,
    date_start: dt.datetime | None = None,
    date_end: dt.datetime | None = None,
    window_needs: str = "date",
    for_update: bool = False,
) -> list[PartitionRun]:
    """The runs of `dag_id` the first given selector names. Without run_id and partition_key, the window applies to
    runs that have a partition_date (`window_needs="date"`, `dags clear`) or either partition field
    (`window_needs="any"`, `partitions clear` and the REST API's clearPartitions). `for_update` locks the rows
    (pass a connection inside a transaction) so a reset that follows sees them unchanged."""
    where: list[str] = ["dag_id = $1"]
    params: list[object] = [dag_id]
    if run_id is not None:
        params.append(run_id)
        where.append(f"run_id = ${len(params)}")
    elif partition_key is not None:
        params.append(partition_key)
        where.append(f"partition_key = ${len(params)}")
    else:
        where.append("partition_date IS NOT NULL" if window_needs == "date"
                     else "(partition_key IS NOT NULL OR partition_date IS NOT NULL)")  # fmt: skip
        if date_start is not None:
            params.append(date_start)
            where.append(f"partition_date >= ${len(params)}")
        if date_end is not None:
            params.append(date_end)
            where.append(f"partition_date <= ${len(params)}")
    rows = await db.fetch(
        f"SELECT run_id, partition_key, partition_date FROM dag_run WHERE {' AND '.join(where)} "
        f"ORDER BY partition_date, run_id{' FOR UPDATE' if for_update else ''}",
        *params,
    )
    return [PartitionRun(r["run_id"], r["partition_key"], r["partition_date"]) for r in rows]


async def clear_partition_fields(db: Db, dag_id: str, run_ids: Collection[str]) -> int:
    """Sets partition_key and partition_date to NULL on the named runs that have either; how many changed."""
    result = await db.execute(
        "UPDATE dag_run SET partition_key = NULL, partition_date = NULL, updated_at = now() "
        "WHERE dag_id = $1 AND run_id = ANY($2::text[]) "
        "AND (partition_key IS NOT NULL OR partition_date IS NOT NULL)",
        dag_id,
        list(run_ids),
    )
    return int(str(result).rsplit(" ", 1)[-1])


async def count_task_instances(db: Db, dag_id: str, run_ids: Collection[str]) -> int:
    """How many task instances the runs have (what clearing them would touch)."""
    count = await db.fetchval(
        "SELECT count(*) FROM task_instance WHERE dag_id = $1 AND run_id = ANY($2::text[])", dag_id, list(run_ids)
    )
    return int(count or 0)
