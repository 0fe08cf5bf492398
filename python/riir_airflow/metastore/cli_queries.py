"""Metastore writes only the CLI makes: a run that already happened elsewhere (`dags test`, `tasks test`).

Airflow's `dags test` and `tasks test` leave their DagRun and task instances in the database; riir's run in the
command's own process with an in-memory store and are recorded afterwards, in one transaction, with their states,
tries and times.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from riir_airflow.metastore.queries import Db, create_dag_run, transaction
from riir_airflow.metastore.records import DagRunRecord, NewTaskInstance


@dataclass(frozen=True)
class FinishedTry:
    task_id: str
    map_index: int
    state: str | None
    try_number: int
    max_tries: int
    start_date: datetime.datetime | None
    end_date: datetime.datetime | None
    hostname: str
    rendered_fields: Any


async def record_finished_run(
    db: Db,
    dag_id: str,
    run_id: str,
    *,
    state: str,
    logical_date: datetime.datetime | None,
    data_interval: tuple[datetime.datetime, datetime.datetime] | None,
    run_after: datetime.datetime,
    start_date: datetime.datetime | None,
    end_date: datetime.datetime | None,
    conf: Any,
    tries: Sequence[FinishedTry],
    dag_version_id: Any = None,
) -> DagRunRecord:
    async with transaction(db) as conn:
        run = await create_dag_run(
            conn, dag_id, run_id, run_type="manual", logical_date=logical_date, data_interval=data_interval,
            run_after=run_after, conf=conf, state=state, dag_version_id=dag_version_id, triggered_by="test",
            tasks=[NewTaskInstance(t.task_id, t.map_index, t.state, t.max_tries) for t in tries],
        )  # fmt: skip
        await conn.execute(
            "UPDATE dag_run SET start_date = $3, end_date = $4 WHERE dag_id = $1 AND run_id = $2",
            dag_id, run_id, start_date, end_date,
        )  # fmt: skip
        await conn.executemany(
            """
            UPDATE task_instance SET try_number = $4, start_date = $5::timestamptz, end_date = $6::timestamptz,
                duration = extract(epoch FROM $6::timestamptz - $5::timestamptz), hostname = $7, rendered_fields = $8
            WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $9
            """,
            [(dag_id, run_id, t.task_id, t.try_number, t.start_date, t.end_date, t.hostname, t.rendered_fields,
              t.map_index) for t in tries],
        )  # fmt: skip
    return run
