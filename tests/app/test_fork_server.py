"""The fork server on its own (no metastore): the config copy it reads, its start as a new program, its errors."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import asyncpg
import pendulum
import pytest

from riir_airflow.app.fork_server import ForkServer, ForkServerError, TaskStart, sanitized_config, send_start
from riir_airflow.engine.records import DagRunRecord

DAG_FILE = """
from airflow.sdk import DAG, task


def done(context):
    print("callback ran")


with DAG("fork_served", schedule=None, on_success_callback=done):
    @task
    def noop():
        return None

    noop()
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from riir_airflow import compat

    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("AIRFLOW_CONFIG", raising=False)
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql://app:hunter2-secret@db/x")
    monkeypatch.setenv("RIIR_AIRFLOW_COMPAT", "1")
    if not compat.is_installed():
        compat.install()
        monkeypatch.setattr("riir_airflow.compat.is_installed", lambda: True)
    return tmp_path


def test_the_config_copy_has_no_secret(home: Path) -> None:
    (home / "airflow.cfg").write_text(
        "[database]\nsql_alchemy_conn = postgresql://u:pw@h/db\nsql_alchemy_pool_size = 7\n"
        "[core]\nfernet_key = abc\nparallelism = 3\n[smtp]\nsmtp_password_cmd = cat /secret\nsmtp_host = mail\n"
    )
    (home / "out").mkdir()
    copy = sanitized_config(home / "out")
    assert copy is not None
    text = copy.read_text()
    assert "pw@h" not in text and "fernet_key" not in text and "smtp_password_cmd" not in text
    assert "sql_alchemy_pool_size = 7" in text and "parallelism = 3" in text and "smtp_host = mail" in text


def test_a_new_template_loads_the_file_without_credentials_and_reports_exits(home: Path) -> None:
    path = home / "served.py"
    path.write_text(DAG_FILE)
    server = ForkServer.start(str(path))
    try:
        assert server.wait_ready(120) == ["fork_served"]
        environ = Path(f"/proc/{server.pid}/environ").read_bytes()
        assert b"hunter2-secret" not in environ and b"SQL_ALCHEMY_CONN" not in environ
        with pytest.raises(ForkServerError, match="has no DAG 'other'"):
            server.fork("other", 0, 1)
        parent, child = socket.socketpair()
        read_fd, write_fd = os.pipe()
        pid = server.fork("fork_served", child.fileno(), write_fd)
        child.close()
        os.close(write_fd)
        now = pendulum.now("UTC")
        send_start(parent, TaskStart(DagRunRecord("fork_served", "r1", "manual", now, now, now, now, state="success")))
        with os.fdopen(read_fd, "rb") as pipe:
            output = pipe.read().decode()
        assert "callback ran" in output
        # The exit report comes over the control socket (read here without an event loop).
        import asyncio

        async def code() -> int:
            server.attach(asyncio.get_running_loop())
            return await server.exit_code(pid)

        assert asyncio.run(code()) == 0
        parent.close()
    finally:
        server.close()
    assert not server.alive()


def test_a_template_that_cannot_load_the_file_says_why(home: Path) -> None:
    path = home / "broken.py"
    path.write_text("from airflow.sdk import DAG\n\nraise RuntimeError('broken on purpose')\n")
    server = ForkServer.start(str(path))
    try:
        with pytest.raises(ForkServerError, match="broken on purpose"):
            server.wait_ready(120)
        with pytest.raises(ForkServerError, match="broken on purpose"):
            server.fork("anything", 0, 1)
    finally:
        server.close()


@pytest.mark.postgres
@pytest.mark.e2e
async def test_an_app_replaces_a_fork_server_that_died(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    import signal

    from tests.app.harness import cli, start_app, wait_run_done, write_dag

    app = await start_app(app_env, db, write_dag(dags, "served.py", DAG_FILE), tmp_path / "app.log")
    try:
        children = Path(f"/proc/{app.proc.pid}/task/{app.proc.pid}/children").read_text().split()
        template = next(int(p) for p in children if Path(f"/proc/{p}/comm").read_text().strip() == "riir-fork-srv")
        os.kill(template, signal.SIGKILL)
        cli(app_env, "dags", "trigger", "fork_served", "-r", "r1")
        assert await wait_run_done(db, "fork_served", "r1") == "success", app.output()
    finally:
        app.stop()
    assert "The fork server of" in app.output() and "died" in app.output()
