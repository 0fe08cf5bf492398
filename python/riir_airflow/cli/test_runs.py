"""Recording a `dags test` / `tasks test` run in the metastore, as Airflow's commands leave theirs in its database."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any


def record_test_run_or_warn(work: Callable[[Any], Awaitable[None]]) -> None:
    """The run happened whatever the metastore says: failing to record it is reported, not fatal."""
    from riir_airflow.cli.metastore_access import with_db

    try:
        with_db(work)
    except SystemExit as err:
        print(f"warning: the run was not recorded in the metastore: {str(err.code).removeprefix('error: ')}",
              file=sys.stderr)  # fmt: skip


async def record_test_run(db: Any, dag: Any, result: Any) -> None:
    from riir_airflow.app.dag_store import store_dag
    from riir_airflow.metastore.cli_queries import FinishedTry, record_finished_run

    version_id = await store_dag(db, dag, app_id=None)
    run = result.run
    interval = None
    if run.data_interval_start is not None and run.data_interval_end is not None:
        interval = (run.data_interval_start, run.data_interval_end)
    tries = [
        FinishedTry(
            ti.task_id,
            ti.map_index,
            ti.state,
            ti.try_number,
            ti.max_tries,
            ti.start_date,
            ti.end_date,
            ti.hostname,
            ti.rendered_fields,
        )
        for ti in result.task_instances()
    ]
    await record_finished_run(
        db, dag.dag_id, run.run_id, state=run.state, logical_date=run.logical_date, data_interval=interval,
        run_after=run.run_after, start_date=run.start_date, end_date=run.end_date, conf=run.conf, tries=tries,
        dag_version_id=version_id,
    )  # fmt: skip
