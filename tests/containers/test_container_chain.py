"""The directory-asset chain with every stage in a container, under the DAG app and PostgreSQL.

Stage 1 and 3 are `@task.docker` functions, stage 2 a classic `DockerOperator` running a script; each container
sees the data through one bind-mounted shared volume (`/data`) and gets only the list of changed files' relative
paths as its argument: file contents never travel through XCom. Planning (`diff_since_last_consumed`, `prune`)
and publishing the stage's directory asset are plain tasks in the app. Changing 7 files sends exactly those 7
through the three containers; removing 2 prunes their outputs; changing nothing triggers nothing.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, cli, wait_for, wait_run_done, write_dag
from tests.app.test_app_dir_asset_chain import rewrite, run_chain, stage_runs

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(900)]

FILES = 2_000

CHAIN = """
import pendulum
from docker.types import Mount

from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk import DAG, task
from riir_airflow.dir_assets import DirAsset, diff_since_last_consumed, prune

ROOT = {root!r}
IMAGE = {image!r}
BATCH = 500
ASSETS = [DirAsset(f"{{ROOT}}/{{name}}") for name in ("raw", "s1", "s2", "s3")]
START = pendulum.datetime(2024, 1, 1, tz="UTC")
VOLUME = [Mount(target="/data", source=ROOT, type="bind")]
# Stage 2's container program: upper-cases each listed file from /data/<source> into /data/<target>.
SCRIPT = (
    "import json, sys, pathlib\\n"
    "src, dst, files = pathlib.Path('/data', sys.argv[1]), pathlib.Path('/data', sys.argv[2]), sys.argv[3:]\\n"
    "for rel in files:\\n"
    "    (dst / rel).parent.mkdir(parents=True, exist_ok=True)\\n"
    "    (dst / rel).write_text((src / rel).read_text().upper())\\n"
    "print(json.dumps(files))\\n"
)

with DAG("producer", schedule=None, start_date=START):

    @task(outlets=[ASSETS[0]])
    def publish_raw() -> None:
        pass

    publish_raw()


def planner(source: DirAsset, target: DirAsset):
    @task
    def plan() -> list[list[str]]:
        diff = diff_since_last_consumed(source)
        prune(target.path, diff.removed)
        changed = diff.changed
        return [changed[i : i + BATCH] for i in range(0, len(changed), BATCH)]

    return plan()


def publisher(target: DirAsset):
    @task(outlets=[target], trigger_rule="none_failed")
    def publish() -> None:
        pass

    return publish()


@task.docker(image=IMAGE, mounts=VOLUME, auto_remove="success")
def process(batch: list[str], source: str, target: str) -> list[str]:
    from pathlib import Path

    for rel in batch:
        out = Path("/data", target, rel)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(Path("/data", source, rel).read_text().upper())
    return batch


for number in (1, 3):  # @task.docker stages
    with DAG(f"stage{{number}}", schedule=[ASSETS[number - 1]], start_date=START):
        batches = planner(ASSETS[number - 1], ASSETS[number])
        process.partial(source=f"s{{number - 1}}" if number > 1 else "raw", target=f"s{{number}}").expand(
            batch=batches
        ) >> publisher(ASSETS[number])

with DAG("stage2", schedule=[ASSETS[1]], start_date=START):  # a classic DockerOperator stage

    @task
    def commands(batches: list[list[str]]) -> list[list[str]]:
        return [["python3", "-c", SCRIPT, "s1", "s2", *batch] for batch in batches]

    DockerOperator.partial(task_id="process", image=IMAGE, mounts=VOLUME, auto_remove="success").expand(
        command=commands(planner(ASSETS[1], ASSETS[2]))
    ) >> publisher(ASSETS[2])
"""


async def processed_in(db: asyncpg.Connection, dag_id: str, run_id: str) -> list[str]:
    """The files the stage's containers processed: `@task.docker` returns the list; the DockerOperator's XCom is
    its container's last log line, the list as JSON."""
    rows = await db.fetch(
        "SELECT value FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = 'process' AND key = 'return_value'",
        dag_id, run_id,
    )  # fmt: skip
    found: list[str] = []
    for row in rows:
        value = json.loads(row["value"])
        found.extend(json.loads(value) if isinstance(value, str) else value)
    return sorted(found)


async def test_the_chain_in_docker_containers_under_the_app(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path, python_image: str
) -> None:
    root = tmp_path / "data"
    raw = root / "raw"
    for i in range(FILES):
        folder = raw / f"p{i % 20:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"r{i:05d}.txt").write_text(f"row {i}\n")
    for stage in ("s1", "s2", "s3"):
        (root / stage).mkdir()
    env = {**app_env, "RIIR_AIRFLOW_COMPAT": "1"}
    path = write_dag(dags, "docker_chain.py", CHAIN.format(root=str(root), image=python_image))
    app = AppProcess(env, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 60, "registration")
        runs = await run_chain(db, env, app, "r1")
        for dag_id, run_id in runs.items():
            assert len(await processed_in(db, dag_id, run_id)) == FILES, dag_id
        assert (root / "s3" / "p07" / "r00007.txt").read_text() == "ROW 7\n"

        changed = sorted(f"p{i % 20:02d}/r{i:05d}.txt" for i in (3, 141, 271, 314, 500, 777, 1999))
        for rel in changed:
            rewrite(raw / rel, "changed\n")
        runs = await run_chain(db, env, app, "r2")
        for dag_id, run_id in runs.items():
            assert await processed_in(db, dag_id, run_id) == changed, dag_id
        assert (root / "s3" / changed[0]).read_text() == "CHANGED\n"

        removed = ["p01/r00001.txt", "p02/r00002.txt"]
        for rel in removed:
            (raw / rel).unlink()
        runs = await run_chain(db, env, app, "r3")
        for dag_id, run_id in runs.items():
            assert await processed_in(db, dag_id, run_id) == [], dag_id
        for stage in ("s1", "s2", "s3"):
            assert not any((root / stage / rel).exists() for rel in removed)
            assert sum(1 for _ in (root / stage).rglob("*.txt")) == FILES - 2

        cli(env, "dags", "trigger", "producer", "-r", "r4")
        assert await wait_run_done(db, "producer", "r4", timeout=120) == "success", app.output()
        await asyncio.sleep(5)
        for dag_id in ("stage1", "stage2", "stage3"):
            assert len(await stage_runs(db, dag_id)) == 3, dag_id
    finally:
        app.stop()
