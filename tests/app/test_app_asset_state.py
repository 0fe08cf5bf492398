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


def test_asset_state_through_the_rest_api_with_the_official_client(pg_dsn: str, tmp_path: Path) -> None:
    """After a task wrote state, the broker lists it (with its writer) and an API client sets, reads, deletes it."""
    import asyncio

    import httpx
    from airflow_client.client import ApiClient, Configuration
    from airflow_client.client.api.asset_state_store_api import AssetStateStoreApi
    from airflow_client.client.exceptions import ApiException
    from airflow_client.client.models import AssetStateStoreBody

    from riir_airflow.broker.app import create_app
    from tests.app.harness import cli as run_cli
    from tests.app.harness import env_for
    from tests.broker.conftest import PASSWORD, ServerThread, broker_config, free_port

    home = tmp_path / "home"
    home.mkdir()
    env = env_for(pg_dsn, home)
    run_cli(env, "db", "migrate")
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(BEHAVIOUR_DAG, dags / BEHAVIOUR_DAG.name)

    async def run_once() -> int:
        db = await asyncpg.connect(pg_dsn)
        app = AppProcess(env, dags / BEHAVIOUR_DAG.name, tmp_path / "app.log")
        try:
            await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 20, "app")
            run_cli(env, "dags", "trigger", "asset_state_store", "-r", "r1")
            assert await wait_run_done(db, "asset_state_store", "r1") == "success", app.output()
            asset_id: int = await db.fetchval("SELECT id FROM asset WHERE name = 'state-a'")
            return asset_id
        finally:
            app.stop()
            await db.close()

    asset_id = asyncio.run(run_once())
    port = free_port()
    with ServerThread(create_app(broker_config(tmp_path, pg_dsn)), port):
        url = f"http://127.0.0.1:{port}"
        login = {"username": "user", "password": PASSWORD.format("user")}
        token = httpx.post(f"{url}/auth/token", json=login).json()["access_token"]
        with ApiClient(Configuration(host=url, access_token=token)) as api:
            store = AssetStateStoreApi(api)
            listed = store.list_asset_state_store(asset_id)
            assert listed.total_entries == 1
            [entry] = listed.asset_state_store
            assert entry.key == "watermark" and entry.value == {"n": 3, "tags": ["x"]}
            writer = entry.last_updated_by
            assert (writer.kind.value, writer.dag_id, writer.run_id, writer.task_id) == (
                "task", "asset_state_store", "r1", "writer"
            )  # fmt: skip
            store.set_asset_state_store("a/b", asset_id, AssetStateStoreBody(value=[1, 2]))
            got = store.get_asset_state_store("a/b", asset_id)
            assert got.value == [1, 2] and got.last_updated_by.kind.value == "api"
            store.delete_asset_state_store("a/b", asset_id)
            with pytest.raises(ApiException) as missing:
                store.get_asset_state_store("a/b", asset_id)
            assert missing.value.status == 404
            store.clear_asset_state_store(asset_id)
            assert store.list_asset_state_store(asset_id).total_entries == 0
            with pytest.raises(ApiException) as unknown:
                store.list_asset_state_store(999_999)
            assert unknown.value.status == 404
