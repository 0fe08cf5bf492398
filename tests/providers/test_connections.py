"""Connections the Airflow way for provider hooks: `AIRFLOW_CONN_*` (URI and JSON), `[secrets] backend` with
`backend_kwargs` (asked first), hooks' `get_connection` / `test_connection` against real servers, and bad input
(a bad URI, an unknown connection type, a provider missing a system library) with messages naming what is wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from riir_airflow import compat
from riir_airflow.authoring import secrets_backends as secrets
from riir_airflow.exceptions import AirflowConfigException, AirflowException
from tests.providers.servers import http_server

pytestmark = pytest.mark.filterwarnings("ignore:DSA is deprecated")
HERE = Path(__file__).resolve().parent


@pytest.fixture
def alias(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(HERE))
    compat.install()
    yield
    compat.uninstall()
    secrets._configured_backend.cache_clear()


def test_uri_and_json_connections_reach_provider_hooks(
    alias: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from airflow.providers.http.hooks.http import HttpHook
    from airflow.providers.sqlite.hooks.sqlite import SqliteHook

    monkeypatch.setenv("AIRFLOW_CONN_DB_JSON", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "j.db")}))
    monkeypatch.setenv("AIRFLOW_CONN_API_URI", "http://user:p%40ss@127.0.0.1:8080/v1?timeout=5")
    assert SqliteHook(sqlite_conn_id="db_json").get_first("SELECT 6 * 7") == (42,)
    conn = HttpHook.get_connection("api_uri")
    assert (conn.conn_type, conn.host, conn.login, conn.password, conn.port, conn.schema) == (
        "http", "127.0.0.1", "user", "p@ss", 8080, "v1"
    )  # fmt: skip
    assert conn.extra_dejson == {"timeout": "5"}


def test_secrets_backend_is_asked_first_with_its_kwargs(alias: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.providers.http.hooks.http import HttpHook
    from airflow.sdk import Variable

    kwargs = {
        "connections": {"team/api": "http://from-backend:1234"},
        "variables": {"team/greeting": "hello from the backend"},
        "prefix": "team/",
    }
    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND", "secrets_backend_example.DictSecretsBackend")
    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND_KWARGS", json.dumps(kwargs))
    monkeypatch.setenv("AIRFLOW_CONN_API", "http://from-env:1")
    monkeypatch.setenv("AIRFLOW_CONN_ONLY_ENV", "http://only-env:2")
    assert HttpHook.get_connection("api").host == "from-backend"
    assert HttpHook.get_connection("only_env").host == "only-env"  # the backend has none: environment next
    assert Variable.get("greeting") == "hello from the backend"

    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND", "secrets_backend_example.ObjectSecretsBackend")
    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND_KWARGS", json.dumps({"host": "objects.local"}))
    conn = HttpHook.get_connection("object_conn")
    assert (conn.host, conn.port) == ("objects.local", 8080)


def test_a_secrets_backend_that_cannot_be_imported_is_named(alias: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk import Connection

    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND", "secrets_backend_example.Missing")
    with pytest.raises(AirflowConfigException, match=r"\[secrets\] backend = secrets_backend_example.Missing"):
        Connection.get("anything")


@pytest.mark.postgres
def test_test_connection_runs_the_hooks_own_test(
    alias: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pg_dsn: str
) -> None:
    from airflow.sdk import Connection

    ok_pg = Connection.from_uri(pg_dsn.replace("postgresql://", "postgres://", 1), conn_id="pg_ok")
    assert ok_pg.test_connection() == (True, "Connection successfully tested")
    bad_pg = Connection(conn_id="pg_bad", conn_type="postgres", host="127.0.0.1", port=1, login="postgres")
    status, message = bad_pg.test_connection()
    assert status is False and "127.0.0.1" in message
    sqlite = Connection(conn_id="lite", conn_type="sqlite", host=str(tmp_path / "t.db"))
    assert sqlite.test_connection() == (True, "Connection successfully tested")
    with http_server() as server:
        http = Connection(conn_id="web", conn_type="http", host="127.0.0.1", port=server.port, schema="http")
        assert http.test_connection()[0] is True
    unknown = Connection(conn_id="odd", conn_type="no_such_type")
    status, message = unknown.test_connection()
    assert status is False and 'Unknown hook type "no_such_type"' in message and "'odd'" in message


def test_a_bad_uri_names_the_connection_and_where_it_came_from(alias: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    monkeypatch.setenv("AIRFLOW_CONN_BROKEN_PG", "postgres://user:pw@db.local:notaport/app")
    monkeypatch.setenv("AIRFLOW_CONN_NOT_A_URI", "just some text")
    with pytest.raises(AirflowException) as err:
        PostgresHook(postgres_conn_id="broken_pg").get_conn()
    assert str(err.value) == (
        "Connection 'broken_pg' (from environment variable AIRFLOW_CONN_BROKEN_PG) is not a valid connection: "
        "Port could not be cast to integer value as 'notaport'"
    )
    with pytest.raises(AirflowException, match=r"'not_a_uri' .*AIRFLOW_CONN_NOT_A_URI.* expected a URI"):
        PostgresHook.get_connection("not_a_uri")


BAD_URI_DAG = """
import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG, task

with DAG("bad_uri", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    SQLExecuteQueryOperator(task_id="uses_bad_conn", conn_id="broken", sql="SELECT 1")

    @task
    def unaffected():
        return "still fine"

    unaffected()
"""


def test_a_task_with_a_bad_connection_fails_alone_with_the_message(tmp_path: Path) -> None:
    (tmp_path / "bad_uri.py").write_text(BAD_URI_DAG)
    env = {**os.environ, "RIIR_AIRFLOW_COMPAT": "1", "AIRFLOW_HOME": str(tmp_path / "home"),
           "AIRFLOW_CONN_BROKEN": "postgres://u:p@h:99999999/db", "PYTHONWARNINGS": "ignore"}  # fmt: skip
    results = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "dags", "test", str(tmp_path / "bad_uri.py"), "2024-03-05",
         "--save-results", str(results)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    result = json.loads(results.read_text())
    states = {ti["task_id"]: ti["state"] for ti in result["task_instances"]}
    assert states == {"uses_bad_conn": "failed", "unaffected": "success"}
    assert "Connection 'broken' (from environment variable AIRFLOW_CONN_BROKEN) is not a valid connection" in (
        proc.stdout + proc.stderr
    )


def _broken_provider(root: Path) -> None:
    """An installed provider distribution whose hook needs a system library this machine does not have."""
    package = root / "airflow" / "providers" / "brokenlib"
    (package / "hooks").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "hooks" / "__init__.py").write_text("")
    (package / "hooks" / "broken.py").write_text(textwrap.dedent("""
        import ctypes

        _lib = ctypes.CDLL("libriir-missing-system-library.so.1")


        class BrokenHook:
            conn_name_attr = "broken_conn_id"
    """))  # fmt: skip
    (package / "get_provider_info.py").write_text(textwrap.dedent("""
        def get_provider_info():
            return {"package-name": "apache-airflow-providers-brokenlib", "name": "Broken", "description": "Broken",
                    "connection-types": [{"hook-class-name": "airflow.providers.brokenlib.hooks.broken.BrokenHook",
                                          "connection-type": "brokenlib", "hook-name": "Broken"}]}
    """))  # fmt: skip
    dist_info = root / "apache_airflow_providers_brokenlib-1.0.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: apache-airflow-providers-brokenlib\nVersion: 1.0.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[apache_airflow_provider]\nprovider_info = airflow.providers.brokenlib.get_provider_info:get_provider_info\n"
    )


def test_a_provider_missing_a_system_library_is_named_and_nothing_else_breaks(tmp_path: Path) -> None:
    _broken_provider(tmp_path / "site")
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "uses_broken.py").write_text(textwrap.dedent("""
        from airflow.providers.brokenlib.hooks.broken import BrokenHook
        from airflow.sdk import DAG
    """))  # fmt: skip
    (dags / "fine.py").write_text(textwrap.dedent("""
        import pendulum
        from airflow.providers.http.operators.http import HttpOperator
        from airflow.sdk import DAG
        with DAG("fine", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
            HttpOperator(task_id="get", http_conn_id="x", endpoint="/")
    """))  # fmt: skip
    env = {**os.environ, "RIIR_AIRFLOW_COMPAT": "1", "AIRFLOW_HOME": str(tmp_path / "home"),
           "PYTHONPATH": str(tmp_path / "site"), "PYTHONWARNINGS": "ignore"}  # fmt: skip

    def riir(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "riir_airflow", *args], env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip

    hooks = riir("providers", "hooks", "-o", "json")
    assert hooks.returncode == 0, hooks.stderr
    rows = {row["connection_type"]: row for row in json.loads(hooks.stdout)}
    assert rows["brokenlib"]["class"] == "Error when importing hook!"
    assert rows["http"]["class"] == "airflow.providers.http.hooks.http.HttpHook"
    assert "apache-airflow-providers-brokenlib" in hooks.stderr
    assert "libriir-missing-system-library.so.1" in hooks.stderr

    listed = riir("dags", "list-import-errors", "-S", str(dags), "-o", "json")
    errors = json.loads(listed.stdout)
    assert [Path(e["filepath"]).name for e in errors] == ["uses_broken.py"]
    assert "libriir-missing-system-library.so.1" in errors[0]["error"]
    ok = riir("dags", "list", "-S", str(dags), "-o", "json")
    assert [d["dag_id"] for d in json.loads(ok.stdout)] == ["fine"]
