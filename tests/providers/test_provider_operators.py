"""Provider operators, sensors and hooks run unmodified against real local servers: a sqlite file, this machine's
PostgreSQL, an HTTP server, an SMTP server (aiosmtpd), an FTP server (pyftpdlib) and redis at 127.0.0.1:6379 —
in `dags test` and under the DAG app (connections from the metastore there; the deferrable HTTP operator defers
and resumes in the app's triggerer)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.fernet import Fernet

from riir_airflow.authoring.serde import deserialize
from riir_airflow.metastore import secrets as metastore_secrets
from riir_airflow.metastore.fernet import fernet_from_key
from tests.app.harness import AppProcess, cli, env_for, wait_for, wait_run_done
from tests.providers.servers import (
    FtpServer,
    HttpServer,
    SmtpServer,
    SshServer,
    ftp_server,
    http_server,
    smtp_server,
    ssh_server,
)

DAG_FILE = Path(__file__).resolve().parent / "dags" / "provider_matrix.py"
TASKS = {
    "sqlite_rows", "pg_answer", "pg_hook", "http_ready", "http_item", "http_post", "http_deferred", "email",
    "write_upload", "ftp_put", "ftp_sensor", "redis_set", "redis_key", "redis_publish", "slack", "ssh_command",
    "sftp_put", "sftp_sensor",
}  # fmt: skip

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.filterwarnings("ignore:DSA is deprecated"),
    pytest.mark.filterwarnings("ignore:The asyncore module is deprecated"),  # pyftpdlib on Python 3.11
    pytest.mark.filterwarnings("ignore:The asynchat module is deprecated"),
]


Servers = tuple[HttpServer, SmtpServer, FtpServer, SshServer]


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    (tmp_path / "ftp").mkdir()
    (tmp_path / "sftp").mkdir()
    with http_server() as http, smtp_server() as smtp, ftp_server(tmp_path / "ftp") as ftp, \
            ssh_server(tmp_path / "sftp") as ssh:  # fmt: skip
        yield http, smtp, ftp, ssh


def connections(tmp_path: Path, pg_dsn: str, servers: Servers) -> dict[str, str]:
    """conn_id -> URI or JSON, as `AIRFLOW_CONN_*` takes them."""
    http, smtp, ftp, ssh = servers
    pg = pg_dsn.replace("postgresql://", "postgres://", 1)
    return {
        "ssh_local": json.dumps(
            {
                "conn_type": "ssh",
                "host": "127.0.0.1",
                "port": ssh.port,
                "login": ssh.user,
                "password": ssh.password,
                "extra": {"no_host_key_check": True},
            }
        ),
        "sqlite_local": json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "matrix.db")}),
        "pg_local": pg,
        "http_local": f"http://127.0.0.1:{http.port}",
        "smtp_local": f"smtp://127.0.0.1:{smtp.port}?disable_ssl=true&disable_tls=true&from_email=riir%40example.com",
        "ftp_local": f"ftp://{ftp.user}:{ftp.password}@127.0.0.1:{ftp.port}",
        "redis_local": "redis://127.0.0.1:6379/0",
        "slack_local": json.dumps(
            {"conn_type": "slackwebhook", "host": f"http://127.0.0.1:{http.port}", "password": "slack/hook"}
        ),
    }


def check_side_effects(servers: Servers) -> None:
    http, smtp, ftp, ssh = servers
    paths = [(method, path.split("?")[0]) for method, path, _ in http.requests]
    assert ("GET", "/ready") in paths and paths.count(("GET", "/api/item")) >= 2
    assert ("POST", "/echo", '{"hello": "world"}') in http.requests
    assert any(m == "POST" and p == "/slack/hook" and "matrix done" in body for m, p, body in http.requests)
    assert len(smtp.messages) == 1
    assert smtp.messages[0].rcpt_tos == ["ops@example.com"]
    assert b"Subject: matrix 2024-03-05" in smtp.messages[0].content
    assert (ftp.root / "upload.txt").read_text() == "uploaded by riir"
    assert "echo riir-ssh" in ssh.commands
    assert (ssh.root / "incoming" / "upload.txt").read_text() == "uploaded by riir"
    # The deferrable operator's request came from its trigger (aiohttp), the plain one's from requests.
    agents = {agent.split("/")[0] for path, agent in http.user_agents if path.startswith("/api/item")}
    assert {"python-requests", "Python"} <= agents, agents


def test_matrix_in_dags_test(tmp_path: Path, pg_dsn: str, servers: Servers) -> None:
    env = env_for("postgresql://unused@127.0.0.1:1/none", tmp_path / "home", MATRIX_DIR=str(tmp_path),
                  MATRIX_KEY=f"riir-{uuid.uuid4().hex}", PYTHONWARNINGS="ignore")  # fmt: skip
    env.update({f"AIRFLOW_CONN_{k.upper()}": v for k, v in connections(tmp_path, pg_dsn, servers).items()})
    results = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "dags", "test", str(DAG_FILE), "2024-03-05", "--save-results",
         str(results)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    result = json.loads(results.read_text())
    check_run(result["run_state"], {t["task_id"]: t["state"] for t in result["task_instances"]},
              {x["task_id"]: x["value"] for x in result["xcoms"] if x["key"] == "return_value"}, pg_dsn)  # fmt: skip
    check_side_effects(servers)


def check_run(run_state: str, states: dict[str, str], stored: dict[str, Any], pg_dsn: str) -> None:
    assert run_state == "success"
    assert states == dict.fromkeys(TASKS, "success")
    # XComs are stored in Airflow's serde form (rows are tagged tuples); compare the values they stand for.
    xcoms = {task_id: deserialize(value) for task_id, value in stored.items()}
    # A list of statements returns each statement's result (None for those without rows), as in Airflow.
    assert xcoms["sqlite_rows"] == [None, None, None, [(1,), (2,), (3,)]]
    assert xcoms["pg_answer"] == [(42,)]
    assert xcoms["pg_hook"] == pg_dsn.rsplit("/", 1)[1]
    assert xcoms["http_item"] == "widget"
    assert json.loads(xcoms["http_deferred"]) == {"id": 7, "name": "widget"}
    assert base64.b64decode(xcoms["ssh_command"]) == b"riir-ssh\n"  # Airflow's default: base64 of stdout


async def test_matrix_under_the_app_with_metastore_connections(tmp_path: Path, pg_dsn: str, servers: Servers) -> None:
    home = tmp_path / "home"
    home.mkdir()
    key = Fernet.generate_key().decode()
    env = env_for(pg_dsn, home, MATRIX_DIR=str(tmp_path), MATRIX_KEY=f"riir-{uuid.uuid4().hex}",
                  PYTHONWARNINGS="ignore", AIRFLOW__CORE__FERNET_KEY=key)  # fmt: skip
    cli(env, "db", "migrate")
    db = await asyncpg.connect(pg_dsn)
    try:
        for conn_id, value in connections(tmp_path, pg_dsn, servers).items():
            record = (
                metastore_secrets.connection_from_uri(conn_id, value)
                if not value.startswith("{")
                else metastore_secrets._connection_from_env(conn_id, value)
            )
            await metastore_secrets.set_connection(db, record, cipher=fernet_from_key(key))
        app = AppProcess(env, DAG_FILE, tmp_path / "app.log")
        try:
            await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 30, "app")
            cli(env, "dags", "trigger", "provider_matrix", "-r", "run1", "-l", "2024-03-05T00:00:00+00:00")
            state = await wait_run_done(db, "provider_matrix", "run1", timeout=90)
            rows = await db.fetch(
                "SELECT task_id, state FROM task_instance WHERE dag_id = 'provider_matrix' AND run_id = 'run1'"
            )
            xcom_rows = await db.fetch(
                "SELECT task_id, value FROM xcom WHERE dag_id = 'provider_matrix' AND run_id = 'run1' "
                "AND key = 'return_value'"
            )
            if state != "success":
                logs = await db.fetch(
                    "SELECT l.task_id, l.line FROM task_log l JOIN task_instance t USING (dag_id, run_id, task_id) "
                    "WHERE l.dag_id = 'provider_matrix' AND t.state <> 'success' ORDER BY l.id"
                )
                states = {r["task_id"]: r["state"] for r in rows}
                raise AssertionError(f"{states}\n" + "\n".join(f"{r['task_id']}: {r['line']}" for r in logs)[-6000:])
            check_run(state, {r["task_id"]: r["state"] for r in rows},
                      {r["task_id"]: json.loads(r["value"]) for r in xcom_rows}, pg_dsn)  # fmt: skip
            check_side_effects(servers)
        finally:
            app.stop()
    finally:
        await db.close()
