"""Under the DAG app, `asset_state_store` values live in the metastore with their asset, across tasks and runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, cli, wait_for, wait_run_done

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(120)]

BEHAVIOUR_DAG = Path(__file__).resolve().parents[2] / "compat-tests" / "behaviour" / "dags" / "asset_state_store.py"


async def test_asset_state_is_kept_in_the_metastore(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    # The DAG the behaviour suite compares with Airflow 3.3.2's `dags test`, here under the app.
    path = dags / BEHAVIOUR_DAG.name
    shutil.copy(BEHAVIOUR_DAG, path)
    app = AppProcess(app_env, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 20, "app registration")
        cli(app_env, "dags", "trigger", "asset_state_store", "-r", "r1")
        assert await wait_run_done(db, "asset_state_store", "r1") == "success", app.output()
        values = {
            r["task_id"]: json.loads(r["value"])
            for r in await db.fetch("SELECT task_id, value FROM xcom WHERE run_id = 'r1' AND key = 'return_value'")
        }
        assert values["writer"] == "Cannot set value as None"
        assert values["reader"]["first"] == {"n": 3, "tags": ["x"]} and values["reader"]["missing"] == "gone"
        assert values["clearer"] == [{"n": 3, "tags": ["x"]}, None] and values["no_assets"] is False
        # What stays: state-a's watermark (state-b was cleared), with the asset rows the app created.
        rows = await db.fetch(
            "SELECT a.name, a.uri, s.key, s.value FROM asset_state s JOIN asset a ON a.id = s.asset_id"
        )
        assert [(r["name"], r["uri"], r["key"], json.loads(r["value"])) for r in rows] == [
            ("state-a", "state-a", "watermark", {"n": 3, "tags": ["x"]})
        ]
        # A second run reads what the first one left.
        cli(app_env, "dags", "trigger", "asset_state_store", "-r", "r2")
        assert await wait_run_done(db, "asset_state_store", "r2") == "success", app.output()
    finally:
        app.stop()
