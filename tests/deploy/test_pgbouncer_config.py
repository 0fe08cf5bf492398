"""The chart's pgbouncer.ini, as rendered by helm, run by a real pgbouncer in front of the real PostgreSQL: a DAG's
role (created later, as the role setup does) logs in with its password through the owner's password look-up
(auth_query), a wrong password is refused, and the session-pooled connection keeps LISTEN and advisory locks."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.deploy.helm import render

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chart_config(port: int, owner: str = "postgres", auth_query: str | None = None) -> str:
    """The rendered ini with what Kubernetes would fill in: the database host, and the owner's name (the init
    container's sed). Only the addresses change to this machine's."""
    (config,) = [d for d in render() if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-pgbouncer")]
    text: str = config["data"]["pgbouncer.ini"]
    assert "host=prod-riir-airflow-postgresql port=5432" in text
    text = text.replace("host=prod-riir-airflow-postgresql port=5432", "host=127.0.0.1 port=5432")
    text = text.replace("$(DB_OWNER_USER)", owner)
    if auth_query is not None:
        default = "auth_query = SELECT usename, passwd FROM pg_shadow WHERE usename=$1"
        assert default in text
        text = text.replace(default, f"auth_query = {auth_query}")
    return text.replace("listen_addr = 0.0.0.0", "listen_addr = 127.0.0.1").replace("listen_port = 6432",
                                                                                   f"listen_port = {port}")  # fmt: skip


@contextlib.contextmanager
def run_bouncer(tmp_path: Path, owner: str = "postgres", auth_query: str | None = None) -> Iterator[int]:
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    port = free_port()
    auth = tmp_path / "auth"
    auth.mkdir()
    # The owner's entry, as the init container writes it (the test server trusts loopback logins, so any password
    # lets pgbouncer's look-up connection in).
    (auth / "userlist.txt").write_text(f'"{owner}" "owner-password"\n')
    ini = tmp_path / "pgbouncer.ini"
    ini.write_text(
        chart_config(port, owner, auth_query).replace("/etc/pgbouncer-auth/userlist.txt", str(auth / "userlist.txt"))
    )
    command = [binary, str(ini)]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root: run it as an ordinary uid in a user namespace
        command = ["unshare", "--map-user=1000", "--map-group=1000", *command]
    log = tmp_path / "pgbouncer.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def bouncer(tmp_path: Path) -> Iterator[int]:
    with run_bouncer(tmp_path) as port:
        yield port


async def test_a_dag_role_logs_in_through_the_charts_pgbouncer(bouncer: int, pg_conn: asyncpg.Connection) -> None:
    await assert_role_logs_in(bouncer, pg_conn)


async def test_a_non_superuser_owner_looks_passwords_up_through_the_documented_function(
    tmp_path: Path, pg_conn: asyncpg.Connection
) -> None:
    """docs/kubernetes.md's look-up function, created by a superuser, used by an owner that is not one."""
    owner = f"riir_owner_{uuid.uuid4().hex[:8]}"
    await pg_conn.execute(f"CREATE ROLE {owner} LOGIN PASSWORD 'owner-password' NOSUPERUSER")
    try:
        docs = (Path(__file__).resolve().parents[2] / "docs" / "kubernetes.md").read_text()
        sql = docs.split("```sql\n", 1)[1].split("```", 1)[0]
        statements = [line.strip() for line in sql.replace("airflow_owner", owner).split(";") if line.strip()]
        query = next(s for s in statements if s.startswith("-- values:")).split('"')[1]
        for statement in statements:
            if not statement.startswith("--"):
                await pg_conn.execute(statement)
        with run_bouncer(tmp_path, owner, query) as port:
            await assert_role_logs_in(port, pg_conn)
    finally:
        await pg_conn.execute("DROP SCHEMA IF EXISTS pgbouncer CASCADE")
        await pg_conn.execute(f"DROP OWNED BY {owner}")
        await pg_conn.execute(f"DROP ROLE {owner}")


async def assert_role_logs_in(port: int, pg_conn: asyncpg.Connection) -> None:
    bouncer = port
    database = await pg_conn.fetchval("SELECT current_database()")
    role = f"riir_app_{uuid.uuid4().hex[:8]}"
    await pg_conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'dag-secret'")
    try:
        await pg_conn.execute(f"GRANT CONNECT ON DATABASE {database} TO {role}")
        conn = await asyncpg.connect(
            host="127.0.0.1", port=bouncer, user=role, password="dag-secret", database=database, ssl=False
        )
        try:
            assert await conn.fetchval("SELECT current_user") == role
            # Session pooling: the app's scheduling lock and LISTEN live on their own server session.
            assert await conn.fetchval("SELECT pg_try_advisory_lock(42)") is True
            await conn.add_listener("riir_run_created", lambda *_: None)
            assert await conn.fetchval("SELECT pg_advisory_unlock(42)") is True
        finally:
            await conn.close()
        # pgbouncer answers a failed SCRAM exchange itself (as a protocol error naming the failed authentication).
        with pytest.raises(asyncpg.PostgresError, match="authentication failed"):
            await asyncpg.connect(
                host="127.0.0.1", port=bouncer, user=role, password="wrong", database=database, ssl=False
            )
    finally:
        await pg_conn.execute(f"DROP OWNED BY {role}")
        await pg_conn.execute(f"DROP ROLE {role}")
