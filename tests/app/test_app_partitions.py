"""Under the DAG app, runs scheduled by a CronPartitionTimetable carry their partition key and date (one cron
interval before the run with run_offset=-1), in the metastore and in the tasks' context."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, wait_for, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(120)]

DAG = """
    import datetime
    from airflow.sdk import DAG, CronPartitionTimetable, task

    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    with DAG(
        "partitioned_app",
        schedule=CronPartitionTimetable("0 6 * * *", timezone="UTC", run_offset=-1, key_format="%Y-%m-%d"),
        start_date=today - datetime.timedelta(days=2),
        catchup=True,
    ):
        @task
        def show(partition_key=None, partition_date=None, dag_run=None):
            return [partition_key, partition_date.isoformat(), dag_run.partition_key]

        show()
"""


async def test_scheduled_partition_runs_carry_their_keys(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    app = AppProcess(app_env, write_dag(dags, "partitioned_app.py", DAG), tmp_path / "app.log")
    try:

        async def two_done() -> bool:
            done = await db.fetchval(
                "SELECT count(*) FROM dag_run WHERE dag_id = 'partitioned_app' AND state = 'success'"
            )
            return bool(done >= 2)

        await wait_for(two_done, 60, "two partitioned runs")
        runs = await db.fetch(
            "SELECT r.run_after, r.partition_key, r.partition_date, x.value FROM dag_run r JOIN xcom x "
            "ON x.dag_id = r.dag_id AND x.run_id = r.run_id WHERE r.dag_id = 'partitioned_app' AND r.state = 'success'"
        )
        for run in runs:
            expected_date = run["run_after"] - dt.timedelta(days=1)
            expected_key = expected_date.date().isoformat()
            assert run["partition_key"] == expected_key and run["partition_date"] == expected_date
            key, date, run_key = json.loads(run["value"])
            assert key == run_key == expected_key and dt.datetime.fromisoformat(date) == expected_date
    finally:
        app.stop()
