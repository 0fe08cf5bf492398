"""`POST /api/v2/connections/test`: refused (403, Airflow's message) unless `[core] test_connection = Enabled`; when
enabled, the provider hook's own test_connection runs in a child process (the broker never imports provider code)
against real servers: the test PostgreSQL, a closed port, a SQLite file. A stored connection's secrets are reused
only for its own host and port, as in Airflow."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from riir_airflow.broker.app import create_app
from riir_airflow.metastore import secrets as s
from riir_airflow.metastore.pool import create_pool, settings_from_config
from riir_airflow.metastore.records import ConnectionRecord
from tests.broker.conftest import PASSWORD, Broker, ServerThread, broker_config, free_port

pytestmark = pytest.mark.postgres
URL = "/api/v2/connections/test"


def test_disabled_by_default_as_in_airflow(broker: Broker) -> None:
    with broker.client() as client:
        answer = client.post(URL, json={"connection_id": "x", "conn_type": "sqlite"})
    assert answer.status_code == 403
    assert answer.json()["detail"] == ("Testing connections is disabled in Airflow configuration. Contact your "
                                       "deployment admin to enable it.")  # fmt: skip


@pytest.fixture(scope="module")
def enabled(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A second broker on the same database with `[core] test_connection = Enabled`."""
    home = tmp_path_factory.mktemp("testing_home")
    config = broker_config(home, broker.dsn, AIRFLOW__CORE__TEST_CONNECTION="Enabled")
    port = free_port()
    with ServerThread(create_app(config), port):
        url = f"http://127.0.0.1:{port}"
        token = httpx.post(f"{url}/auth/token", json={"username": "admin", "password": PASSWORD.format("admin")})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            yield client


def test_a_reachable_database_an_unreachable_one_and_an_unknown_type(
    enabled: httpx.Client, broker: Broker, tmp_path: Path
) -> None:
    pg = urlsplit(broker.dsn)
    ok = enabled.post(URL, json={"connection_id": "pg", "conn_type": "postgres", "host": pg.hostname,
                                 "port": pg.port, "login": pg.username, "schema": pg.path.lstrip("/")})  # fmt: skip
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"status": True, "message": "Connection successfully tested"}
    closed = enabled.post(URL, json={"connection_id": "pg", "conn_type": "postgres", "host": "127.0.0.1",
                                     "port": free_port(), "login": "nobody"})  # fmt: skip
    assert closed.status_code == 200 and closed.json()["status"] is False
    assert "Connection refused" in closed.json()["message"]
    sqlite = enabled.post(URL, json={"connection_id": "lite", "conn_type": "sqlite", "host": str(tmp_path / "a.db")})
    assert sqlite.json() == {"status": True, "message": "Connection successfully tested"}
    unknown = enabled.post(URL, json={"connection_id": "u", "conn_type": "no_such_type"}).json()
    assert unknown["status"] is False and 'Unknown hook type "no_such_type"' in unknown["message"]


def test_stored_secrets_are_used_only_for_the_stored_endpoint(enabled: httpx.Client, broker: Broker) -> None:
    pg = urlsplit(broker.dsn)

    async def store() -> None:
        pool = await create_pool(settings_from_config(broker.config, dsn=broker.dsn))
        try:
            stored = ConnectionRecord(
                conn_id="stored_pg",
                conn_type="postgres",
                description=None,
                host=pg.hostname,
                schema="postgres",
                login=pg.username,
                password="not-needed-with-trust",
                port=pg.port,
                extra='{"connect_timeout": 5}',
            )
            await s.set_connection(pool, stored)
        finally:
            await pool.close()

    asyncio.run(store())
    # What the UI posts for an unchanged connection: the masked password; the stored fields fill the rest.
    same = enabled.post(URL, json={"connection_id": "stored_pg", "conn_type": "postgres", "password": "***"})
    assert same.json() == {"status": True, "message": "Connection successfully tested"}, same.text
    elsewhere = enabled.post(URL, json={"connection_id": "stored_pg", "conn_type": "postgres", "host": "10.9.9.9",
                                        "password": "***"})  # fmt: skip
    assert elsewhere.status_code == 400
    assert elsewhere.json()["detail"] == ("The host or port to test differs from the stored connection. Include the "
                                          "credentials to test in the request body.")  # fmt: skip


def test_an_enqueued_test_runs_and_is_polled_by_token(enabled: httpx.Client, broker: Broker, tmp_path: Path) -> None:
    with broker.client() as disabled:
        refused = disabled.post("/api/v2/connections/enqueue-test", json={"connection_id": "x", "conn_type": "sqlite"})
        assert refused.status_code == 403
    body = {"connection_id": "queued_lite", "conn_type": "sqlite", "host": str(tmp_path / "q.db"),
            "commit_on_success": True}  # fmt: skip
    accepted = enabled.post("/api/v2/connections/enqueue-test", json=body)
    assert accepted.status_code == 202, accepted.text
    token = accepted.json()["token"]
    assert accepted.json() == {"token": token, "connection_id": "queued_lite", "state": "pending"}
    deadline = time.monotonic() + 60
    while (polled := enabled.get("/api/v2/connections/enqueue-test",
                                 headers={"Airflow-Connection-Test-Token": token}).json())["state"] not in (
            "success", "failed"):  # fmt: skip
        assert time.monotonic() < deadline, polled
        time.sleep(0.2)
    assert polled["state"] == "success" and polled["result_message"] == "Connection successfully tested"
    assert polled["connection_id"] == "queued_lite" and polled["created_at"]
    # commit_on_success saved the tested connection.
    assert enabled.get("/api/v2/connections/queued_lite").json()["host"] == str(tmp_path / "q.db")
    missing = enabled.get("/api/v2/connections/enqueue-test", headers={"Airflow-Connection-Test-Token": "nope"})
    assert missing.status_code == 404 and missing.json()["detail"] == "No connection test found for token: `nope`"
    executor = enabled.post("/api/v2/connections/enqueue-test", json={**body, "executor": "CeleryExecutor"})
    assert executor.status_code == 422
