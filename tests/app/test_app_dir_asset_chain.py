"""Directories as data under the DAG app and PostgreSQL: a producer and a 3-stage chain over 10,000 small files.

One dag.py holds the producer and three stage DAGs; each stage is asset-scheduled on the previous stage's
`DirAsset`, so the app creates its runs from the asset events (not the test). A stage plans the files its input's
manifest says changed (`diff_since_last_consumed`), prunes the outputs of removed inputs, processes the changed
files with dynamic task mapping in batches, and publishes its own directory from a last task.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, cli, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(900)]

FILES = 10_000

CHAIN = """
import pendulum

from riir_airflow.dir_assets import DirAsset, diff_since_last_consumed, prune
from riir_airflow.sdk import DAG, task

ROOT = {root!r}
BATCH = {batch}
ASSETS = [DirAsset(f"{{ROOT}}/{{name}}") for name in ("raw", "s1", "s2", "s3")]
START = pendulum.datetime(2024, 1, 1, tz="UTC")

with DAG("producer", schedule=None, start_date=START):

    @task(outlets=[ASSETS[0]])
    def publish_raw() -> None:
        \"\"\"The raw files are written outside; on success the app publishes the directory's manifest.\"\"\"

    publish_raw()


def stage(number: int) -> None:
    source, target = ASSETS[number - 1], ASSETS[number]
    with DAG(f"stage{{number}}", schedule=[source], start_date=START):

        @task
        def plan() -> list[list[str]]:
            diff = diff_since_last_consumed(source)
            prune(target.path, diff.removed)
            changed = diff.changed
            return [changed[i : i + BATCH] for i in range(0, len(changed), BATCH)]

        @task
        def process(batch: list[str]) -> list[str]:
            for rel in batch:
                out = target.path / rel
                {make_parent}
                out.write_text((source.path / rel).read_text().upper())
            return batch

        @task(outlets=[target], trigger_rule="none_failed")
        def publish() -> None:
            \"\"\"Runs after every batch (or none): the stage's output is published once, complete.\"\"\"

        process.expand(batch=plan()) >> publish()


for number in (1, 2, 3):
    stage(number)
"""


def chain_dag(root: str, *, batch: int) -> str:
    """The producer + 3-stage dag.py over `root` (a local directory or an object-store URL, where objects need no
    parent directory)."""
    local = "://" not in root
    make_parent = "out.parent.mkdir(parents=True, exist_ok=True)" if local else "pass  # objects need no directory"
    return CHAIN.format(root=root, batch=batch, make_parent=make_parent)


def rewrite(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


async def stage_runs(db: asyncpg.Connection, dag_id: str) -> list[asyncpg.Record]:
    return list(
        await db.fetch(
            "SELECT run_id, run_type, state FROM dag_run WHERE dag_id = $1 ORDER BY id",
            dag_id,
        )
    )


async def processed_in(db: asyncpg.Connection, dag_id: str, run_id: str) -> list[str]:
    """The files the stage's mapped `process` tries of one run returned (what they processed)."""
    rows = await db.fetch(
        "SELECT value FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = 'process' AND key = 'return_value'",
        dag_id, run_id,
    )  # fmt: skip
    return sorted(rel for r in rows for rel in json.loads(r["value"]))


async def run_chain(db: asyncpg.Connection, env: dict[str, str], app: AppProcess, run_id: str) -> dict[str, str]:
    """Triggers the producer and waits until every stage has one more finished asset-triggered run; returns each
    stage's new run id."""
    before = {s: len(await stage_runs(db, s)) for s in ("stage1", "stage2", "stage3")}
    cli(env, "dags", "trigger", "producer", "-r", run_id)
    assert await wait_run_done(db, "producer", run_id, timeout=120) == "success", app.output()
    new: dict[str, str] = {}
    for dag_id in ("stage1", "stage2", "stage3"):

        async def finished(dag_id: str = dag_id) -> asyncpg.Record | None:
            runs = await stage_runs(db, dag_id)
            if len(runs) > before[dag_id] and runs[before[dag_id]]["state"] in ("success", "failed"):
                return runs[before[dag_id]]
            return None

        run = await wait_for(finished, 300, f"the asset-triggered run of {dag_id}")
        assert (run["run_type"], run["state"]) == ("asset_triggered", "success"), app.output()
        new[dag_id] = run["run_id"]
    return new


async def test_only_changed_files_flow_through_the_chain_under_the_app(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    raw = root / "raw"
    for i in range(FILES):
        folder = raw / f"p{i % 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"r{i:05d}.txt").write_text(f"row {i}\n")
    for stage in ("s1", "s2", "s3"):
        (root / stage).mkdir()
    path = write_dag(dags, "dir_chain.py", chain_dag(str(root), batch=1000))
    app = AppProcess(app_env, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 60, "registration")

        # First pass: every file flows through every stage.
        runs = await run_chain(db, app_env, app, "r1")
        for dag_id, run_id in runs.items():
            assert len(await processed_in(db, dag_id, run_id)) == FILES, dag_id
        assert (root / "s3" / "p07" / "r00007.txt").read_text() == "ROW 7\n"

        # Change 7 files: exactly those 7 flow through every stage.
        changed = sorted(f"p{i % 50:02d}/r{i:05d}.txt" for i in (3, 141, 2718, 3141, 5000, 7777, 9999))
        for rel in changed:
            rewrite(raw / rel, "changed\n")
        runs = await run_chain(db, app_env, app, "r2")
        for dag_id, run_id in runs.items():
            assert await processed_in(db, dag_id, run_id) == changed, dag_id
        assert (root / "s3" / changed[0]).read_text() == "CHANGED\n"
        extra = await db.fetchval(
            "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id "
            "WHERE a.uri = $1 ORDER BY e.id DESC LIMIT 1",
            str(root / "s3"),
        )
        extra = json.loads(extra) if isinstance(extra, str) else extra
        assert (extra["added"], extra["modified"], extra["removed"]) == ([], changed, [])

        # Remove 2 inputs: their outputs are pruned at every stage, nothing is re-processed.
        removed = ["p01/r00001.txt", "p02/r00002.txt"]
        for rel in removed:
            (raw / rel).unlink()
        runs = await run_chain(db, app_env, app, "r3")
        for dag_id, run_id in runs.items():
            assert await processed_in(db, dag_id, run_id) == [], dag_id
        for stage in ("s1", "s2", "s3"):
            assert not any((root / stage / rel).exists() for rel in removed)
            assert sum(1 for _ in (root / stage).rglob("*.txt")) == FILES - 2

        # Change nothing: the producer emits no asset event, so no stage run is created.
        events_before = await db.fetchval("SELECT count(*) FROM asset_event")
        cli(app_env, "dags", "trigger", "producer", "-r", "r4")
        assert await wait_run_done(db, "producer", "r4", timeout=120) == "success", app.output()
        # A success wakes this app's loop at once; a few more turns would create a run if there were an event.
        await asyncio.sleep(5)
        assert await db.fetchval("SELECT count(*) FROM asset_event") == events_before
        for dag_id in ("stage1", "stage2", "stage3"):
            assert len(await stage_runs(db, dag_id)) == 3, dag_id
    finally:
        app.stop()
