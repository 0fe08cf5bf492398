"""Test deploys: production and a branch's deploy (`[riir] environment`) run the SAME DAG file on ONE metastore,
side by side — two real apps, real PostgreSQL, the real broker — and neither sees the other's runs, XComs or
assets; each run and try shows which version ran and who deployed it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from riir_airflow.broker.app import create_app
from tests.app.harness import cli, start_app, wait_run_done, write_dag
from tests.broker.conftest import PASSWORD, ServerThread, broker_config, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(120)]

SHOP = """
    from airflow.sdk import DAG, Asset, task

    orders = Asset("s3://shop/orders")

    with DAG("shop", schedule=None, tags=["shop"]):
        @task(outlets=[orders])
        def produce(dag=None):
            return f"made by {dag.dag_id}"

        @task
        def check(value):
            return value.upper()

        check(produce())

    with DAG("shop_report", schedule=[orders]):
        @task
        def report():
            return "report"

        report()
"""


def api(url: str, token: str, path: str, **params: Any) -> Any:
    response = httpx.get(f"{url}/api/v2{path}", params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


async def test_production_and_a_test_deploy_share_a_metastore_without_seeing_each_other(
    app_env: dict[str, str], db: asyncpg.Connection, pg_dsn: str, dags: Path, tmp_path: Path
) -> None:
    path = write_dag(dags, "shop.py", SHOP)
    prod_env = {
        **app_env,
        "RIIR_APP_PID_DIR": str(tmp_path / "prod-pod"),
        "AIRFLOW__RIIR__DEPLOYED_BY": "release-pipeline",
        "AIRFLOW__RIIR__SERVICE_ACCOUNT": "prod-riir-airflow-dag-shop",
        "AIRFLOW__RIIR__DEPLOYED_IMAGE": "registry.example.com/dags/shop:1.0",
    }
    test_env = {
        **app_env,
        "RIIR_APP_PID_DIR": str(tmp_path / "test-pod"),
        "AIRFLOW__RIIR__ENVIRONMENT": "test-feature-x",
        "AIRFLOW__RIIR__DEPLOYED_BY": "alice",
        "AIRFLOW__RIIR__SERVICE_ACCOUNT": "feature-x-riir-airflow-dag-shop",
        "AIRFLOW__RIIR__DEPLOYED_IMAGE": "registry.example.com/dags/shop:feature-x",
    }
    prod = await start_app(prod_env, db, path, tmp_path / "prod.log")
    test = await start_app(test_env, db, path, tmp_path / "test.log")
    try:
        # Both environments use the same run id: runs are keyed by (dag id, run id), and the dag ids differ.
        cli(prod_env, "dags", "trigger", "shop", "-r", "r1")
        cli(test_env, "dags", "trigger", "test-feature-x.shop", "-r", "r1")
        cli(test_env, "dags", "trigger", "test-feature-x.shop", "-r", "r2")
        assert await wait_run_done(db, "shop", "r1") == "success", prod.output()
        assert await wait_run_done(db, "test-feature-x.shop", "r1") == "success", test.output()
        assert await wait_run_done(db, "test-feature-x.shop", "r2") == "success", test.output()

        # Each run and each try records the version it ran, and so who deployed it.
        deployers = await db.fetch(
            "SELECT r.dag_id, v.deployed_by AS run_by, tv.deployed_by AS try_by FROM dag_run r "
            "JOIN dag_version v ON v.id = r.dag_version_id "
            "JOIN task_instance t ON t.dag_id = r.dag_id AND t.run_id = r.run_id "
            "JOIN dag_version tv ON tv.id = t.dag_version_id WHERE r.run_id = 'r1'"
        )
        assert {(r["dag_id"], r["run_by"], r["try_by"]) for r in deployers} == {
            ("shop", "release-pipeline", "release-pipeline"),
            ("test-feature-x.shop", "alice", "alice"),
        }

        # Each app ran only its own environment's tries.
        apps = {
            r["dag_id"]: r["apps"]
            for r in await db.fetch(
                "SELECT dag_id, array_agg(DISTINCT app_id) AS apps FROM task_instance "
                "WHERE dag_id IN ('shop', 'test-feature-x.shop') GROUP BY dag_id"
            )
        }  # fmt: skip  (each shop_report, run by its own app when its environment's asset event arrives, aside)
        assert set(apps) == {"shop", "test-feature-x.shop"}
        assert apps["shop"] != apps["test-feature-x.shop"] and len(apps["shop"]) == 1

        port = free_port()
        with ServerThread(create_app(broker_config(tmp_path, pg_dsn)), port):
            url = f"http://127.0.0.1:{port}"
            login = {"username": "viewer", "password": PASSWORD.format("viewer")}
            token = httpx.post(f"{url}/auth/token", json=login).json()["access_token"]

            # Shown separately: the test deploy's DAGs carry its environment tag and display name.
            tagged = api(url, token, "/dags", tags="environment:test-feature-x")
            assert sorted(d["dag_id"] for d in tagged["dags"]) == ["test-feature-x.shop", "test-feature-x.shop_report"]
            assert {d["dag_display_name"] for d in tagged["dags"]} == {"shop (test-feature-x)",
                                                                     "shop_report (test-feature-x)"}  # fmt: skip
            everything = api(url, token, "/dags")
            production = sorted(d["dag_id"] for d in everything["dags"] if not d["dag_id"].startswith("test-"))
            assert production == ["shop", "shop_report"]

            # Runs: production sees its one run, the test deploy its two.
            prod_runs = api(url, token, "/dags/shop/dagRuns")["dag_runs"]
            test_runs = api(url, token, "/dags/test-feature-x.shop/dagRuns")["dag_runs"]
            assert [r["dag_run_id"] for r in prod_runs] == ["r1"]
            assert sorted(r["dag_run_id"] for r in test_runs) == ["r1", "r2"]

            # XComs: the same task, the same run id, each environment's own value.
            def xcom(dag_id: str, task_id: str) -> Any:
                path = f"/dags/{dag_id}/dagRuns/r1/taskInstances/{task_id}/xcomEntries/return_value"
                return api(url, token, path)["value"]

            assert xcom("shop", "produce") == "made by shop"
            assert xcom("test-feature-x.shop", "produce") == "made by test-feature-x.shop"
            assert xcom("shop", "check") == "MADE BY SHOP"

            # Identity: each try names the version it ran (Airflow's dag_version), and /deployments says who
            # deployed that version and as what.
            tries = api(url, token, "/dags/test-feature-x.shop/dagRuns/r1/taskInstances")["task_instances"]
            (version_id,) = {t["dag_version"]["id"] for t in tries}
            (deployment,) = api(url, token, "/deployments", dag_id="test-feature-x.shop")["deployments"]
            assert deployment["dag_version_id"] == version_id
            assert deployment["deployed_by"] == "alice"
            assert deployment["service_account"] == "feature-x-riir-airflow-dag-shop"
            assert deployment["image"] == "registry.example.com/dags/shop:feature-x"
            assert deployment["environment"] == "test-feature-x"
            run = api(url, token, "/dags/shop/dagRuns/r1")
            (prod_deployment,) = api(url, token, "/deployments", dag_id="shop")["deployments"]
            assert run["dag_versions"][0]["id"] == prod_deployment["dag_version_id"]
            assert prod_deployment["deployed_by"] == "release-pipeline" and prod_deployment["environment"] is None
            # Shown separately: production's deployments and the test deploy's.
            production = api(url, token, "/deployments", environment="")["deployments"]
            assert sorted(d["dag_id"] for d in production) == ["shop", "shop_report"]
            branch = api(url, token, "/deployments", environment="test-feature-x")["deployments"]
            assert sorted(d["dag_id"] for d in branch) == ["test-feature-x.shop", "test-feature-x.shop_report"]
            assert api(url, token, "/deployments", deployed_by="alice")["total_entries"] == 2

        # Assets: the test deploy produces and is scheduled on its own asset, never production's, so asset events
        # cannot cross environments.
        def asset_uris(data: Any) -> set[str]:
            found: set[str] = set()
            if isinstance(data, dict):
                if isinstance(data.get("uri"), str):
                    found.add(data["uri"])
                for value in data.values():
                    found |= asset_uris(value)
            elif isinstance(data, list):
                for value in data:
                    found |= asset_uris(value)
            return found

        rows = await db.fetch("SELECT dag_id, data FROM dag_version")
        documents = {r["dag_id"]: json.loads(r["data"]) for r in rows}  # jsonb as text on a plain connection
        assert asset_uris(documents["shop"]) == asset_uris(documents["shop_report"]) == {"s3://shop/orders"}
        assert asset_uris(documents["test-feature-x.shop"]) == {"test-feature-x.s3://shop/orders"}
        assert asset_uris(documents["test-feature-x.shop_report"]) == {"test-feature-x.s3://shop/orders"}

        # The asset events the successful `produce` tries recorded: each on its own environment's asset, from its own
        # environment's DAG (one per run), so a consumer in one environment never sees the other's events.
        events = await db.fetch(
            "SELECT a.uri, e.source_dag_id, e.source_run_id FROM asset_event e JOIN asset a ON a.id = e.asset_id "
            "ORDER BY 1, 2, 3"
        )
        assert [tuple(e) for e in events] == [
            ("s3://shop/orders", "shop", "r1"),
            ("test-feature-x.s3://shop/orders", "test-feature-x.shop", "r1"),
            ("test-feature-x.s3://shop/orders", "test-feature-x.shop", "r2"),
        ]
    finally:
        prod.stop()
        test.stop()


async def test_a_redeploy_by_someone_else_is_a_new_version(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    path = write_dag(dags, "shop.py", SHOP)
    for who in ("alice", "alice", "bob"):
        env = {**app_env, "AIRFLOW__RIIR__DEPLOYED_BY": who}
        app = await start_app(env, db, path, tmp_path / f"{who}.log")
        app.terminate()
        time.sleep(0.1)
    rows = await db.fetch("SELECT version_number, deployed_by FROM dag_version WHERE dag_id = 'shop' ORDER BY 1")
    # The same code by the same person is the same version; by someone else it is a new one.
    assert [tuple(r) for r in rows] == [(1, "alice"), (2, "bob")]
