"""A real broker on a loopback port over a seeded metastore, and tokens for each role."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn

from riir_airflow.broker.app import create_app
from riir_airflow.config import AirflowConfigParser
from riir_airflow.metastore.migrate import migrate
from riir_airflow.metastore.pool import create_pool, settings_from_config
from tests.broker.seed import seed
from tests.conftest import temporary_database

ROLES = ("admin", "op", "user", "viewer")
PASSWORD = "pw-{}"


@dataclass
class Broker:
    url: str
    dsn: str
    tokens: dict[str, str]
    config: AirflowConfigParser

    def client(self, role: str | None = "admin") -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def broker_config(home: Path, dsn: str, **extra: str) -> AirflowConfigParser:
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({role: PASSWORD.format(role) for role in ROLES}))
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": dsn,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{r}:{r}" for r in ROLES),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API_AUTH__JWT_SECRET": "test-secret-" + "x" * 64,
        "AIRFLOW__API__EXPOSE_CONFIG": "True",
        **extra,
    }
    return AirflowConfigParser(environ=env)


class ServerThread:
    """uvicorn serving the app in a thread (its own event loop, like a worker process)."""

    def __init__(self, app: object, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("broker did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


async def prepare_database(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    pool = await create_pool(settings_from_config(AirflowConfigParser(environ={}), dsn=dsn))
    try:
        await seed(pool)
    finally:
        await pool.close()


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One seeded database and broker per test module (tests that change data use their own names)."""

    async def make_db() -> tuple[str, object]:
        cm = temporary_database()
        dsn = await cm.__aenter__()
        await prepare_database(dsn)
        return dsn, cm

    loop = asyncio.new_event_loop()
    dsn, cm = loop.run_until_complete(make_db())
    try:
        home = tmp_path_factory.mktemp("broker_home")
        config = broker_config(home, dsn)
        port = free_port()
        with ServerThread(create_app(config), port):
            url = f"http://127.0.0.1:{port}"
            tokens = {}
            for role in ROLES:
                response = httpx.post(f"{url}/auth/token", json={"username": role, "password": PASSWORD.format(role)})
                response.raise_for_status()
                tokens[role] = response.json()["access_token"]
            yield Broker(url, dsn, tokens, config)
    finally:
        loop.run_until_complete(cm.__aexit__(None, None, None))  # type: ignore[attr-defined]
        loop.close()


@pytest.fixture
async def db(broker: Broker) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the broker's database for the test to insert or check rows."""
    pool = await create_pool(settings_from_config(AirflowConfigParser(environ={}), dsn=broker.dsn))
    try:
        yield pool
    finally:
        await pool.close()
