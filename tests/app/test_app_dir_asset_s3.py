"""Directories as data on an object store, under the DAG app and PostgreSQL: the producer and 3-stage chain of
test_app_dir_asset_chain.py over `s3://` prefixes of a real S3 server (moto's server mode), each stage reading and
writing objects through `ObjectStoragePath`s. Change 7 objects: exactly those 7 flow through every stage; remove 2:
their outputs are deleted from the store at every stage; change nothing: no asset event, no stage run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, cli, wait_for, wait_run_done, write_dag
from tests.app.test_app_dir_asset_chain import chain_dag, processed_in, run_chain, stage_runs
from tests.s3_server import S3Server

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(600)]

# Every object is a request to the S3 server (a single-threaded Python one here): 60 objects keep the test short;
# the 10,000-file figure is shown for local directories by test_app_dir_asset_chain.py.
OBJECTS = 60


def keys(server: S3Server, prefix: str) -> list[str]:
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=server.bucket, Prefix=f"{prefix}/")
    return sorted(o["Key"][len(prefix) + 1 :] for page in pages for o in page.get("Contents", ()))


def body(server: S3Server, key: str) -> str:
    return str(server.client().get_object(Bucket=server.bucket, Key=key)["Body"].read().decode())


async def test_only_changed_objects_flow_through_the_chain_under_the_app(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path, s3_server: S3Server
) -> None:
    env = {**app_env, **s3_server.env}
    client = s3_server.client()
    names = [f"p{i % 5}/r{i:03d}.txt" for i in range(OBJECTS)]
    for i, rel in enumerate(names):
        client.put_object(Bucket=s3_server.bucket, Key=f"raw/{rel}", Body=f"row {i}\n".encode())
    path = write_dag(dags, "s3_chain.py", chain_dag(f"s3://{s3_server.bucket}", batch=20))
    app = AppProcess(env, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 60, "registration")

        # First pass: every object flows through every stage.
        runs = await run_chain(db, env, app, "r1")
        for dag_id, run_id in runs.items():
            assert len(await processed_in(db, dag_id, run_id)) == OBJECTS, dag_id
        assert keys(s3_server, "s3") == sorted(names)
        assert body(s3_server, "s3/p2/r007.txt") == "ROW 7\n"

        # Change 7 objects: exactly those 7 flow through every stage.
        changed = sorted(names[i] for i in (3, 11, 19, 26, 38, 47, 59))
        for rel in changed:
            client.put_object(Bucket=s3_server.bucket, Key=f"raw/{rel}", Body=b"changed\n")
        runs = await run_chain(db, env, app, "r2")
        for dag_id, run_id in runs.items():
            assert await processed_in(db, dag_id, run_id) == changed, dag_id
        assert body(s3_server, f"s3/{changed[0]}") == "CHANGED\n"
        extra = await db.fetchval(
            "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id "
            "WHERE a.uri = $1 ORDER BY e.id DESC LIMIT 1",
            f"s3://{s3_server.bucket}/s3",
        )
        extra = json.loads(extra) if isinstance(extra, str) else extra
        assert (extra["added"], extra["modified"], extra["removed"]) == ([], changed, [])

        # Remove 2 inputs: their outputs are deleted from the store at every stage, nothing is re-processed.
        removed = [names[1], names[2]]
        for rel in removed:
            client.delete_object(Bucket=s3_server.bucket, Key=f"raw/{rel}")
        runs = await run_chain(db, env, app, "r3")
        for dag_id, run_id in runs.items():
            assert await processed_in(db, dag_id, run_id) == [], dag_id
        for stage in ("s1", "s2", "s3"):
            assert keys(s3_server, stage) == sorted(set(names) - set(removed)), stage

        # Change nothing: the producer emits no asset event, so no stage run is created.
        events_before = await db.fetchval("SELECT count(*) FROM asset_event")
        cli(env, "dags", "trigger", "producer", "-r", "r4")
        assert await wait_run_done(db, "producer", "r4", timeout=120) == "success", app.output()
        await asyncio.sleep(5)
        assert await db.fetchval("SELECT count(*) FROM asset_event") == events_before
        for dag_id in ("stage1", "stage2", "stage3"):
            assert len(await stage_runs(db, dag_id)) == 3, dag_id
    finally:
        app.stop()
