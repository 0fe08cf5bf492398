"""A hostile DAG file beside a victim, each app under its own role from `db grant-app`: the attacks from the
dag.py's top-level code and from its tasks are refused by the database, and the victim's runs finish untouched."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import cli, start_app, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

VICTIM = """
from airflow.sdk import DAG, task

with DAG("victim", schedule=None):
    @task
    def produce():
        return {"secret_result": 42}

    @task
    def consume(value):
        assert value == {"secret_result": 42}, value
        return "ok"

    consume(produce())
"""

# The attacks, run once at import (top-level code) and once in a task. Each records "refused: <error>" or what it
# achieved; the DB URL is the app's own (confined) login, taken from the environment the attacker runs in.
ATTACKER = """
import asyncio, json, os, threading
from airflow.sdk import DAG, task

ATTACKS = {
    "read_victim_xcom": "SELECT count(*) FROM xcom WHERE dag_id = 'victim'",
    "read_victim_runs": "SELECT count(*) FROM dag_run WHERE dag_id = 'victim'",
    "delete_victim_runs": "DELETE FROM dag_run WHERE dag_id = 'victim'",
    "fail_victim_tasks": "UPDATE task_instance SET state = 'failed' WHERE dag_id = 'victim'",
    "plant_victim_run": "INSERT INTO dag_run (dag_id, run_id, run_type) VALUES ('victim', 'planted', 'manual')",
    "create_role": "CREATE ROLE evil SUPERUSER LOGIN",
    "alter_schema": "ALTER TABLE dag_run ADD COLUMN evil int",
    "drop_table": "DROP TABLE xcom",
    "disable_rls": "ALTER TABLE xcom DISABLE ROW LEVEL SECURITY",
    "widen_grant": "UPDATE riir_app_grant SET dag_ids = '{victim,attacker}'",
    "set_variable": "INSERT INTO variable (key, val) VALUES ('planted', 'x')",
    "register_as_victim": "INSERT INTO app (id, name, dag_ids) VALUES ('fake', 'fake', '{victim}')",
}


async def attack():
    import asyncpg
    url = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    conn = await asyncpg.connect(url)
    out = {"role": await conn.fetchval("SELECT current_user")}
    for name, sql in ATTACKS.items():
        try:
            status = await conn.execute(sql)
            out[name] = f"done: {status}"
            if sql.startswith("SELECT"):
                out[name] = f"done: {await conn.fetchval(sql)}"
        except Exception as err:
            out[name] = f"refused: {type(err).__name__}"
    await conn.close()
    return out


def attack_in_thread():
    box = {}
    thread = threading.Thread(target=lambda: box.update(asyncio.run(attack())))
    thread.start()
    thread.join()
    return box


def find_credentials():
    # Everything a task could use to reach the database on its own.
    found = {}
    needle = "SQL_ALCHEMY_CONN"
    found["env"] = [k for k in os.environ if needle in k or k in ("PGPASSWORD", "AIRFLOW__CORE__FERNET_KEY")]
    for label, who in (("proc_self_environ", "self"), ("proc_parent_environ", str(os.getppid()))):
        try:
            with open(f"/proc/{who}/environ", "rb") as handle:
                found[label] = needle.encode() in handle.read()
        except OSError as err:
            found[label] = f"refused: {type(err).__name__}"
    sockets = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            sockets += os.readlink(f"/proc/self/fd/{name}").startswith("socket:")
        except OSError:
            continue
    found["inherited_sockets"] = sockets  # the task's own channel is one
    from riir_airflow.config import conf
    found["config"] = bool(conf.get("database", "sql_alchemy_conn", fallback=""))
    return found


def forge_channel_request():
    # Talk to the app over the task channel without the try identity token.
    from riir_airflow.authoring import secrets_backends as backends as task_secrets
    client = task_secrets.store.client
    token, client.token = client.token, None
    try:
        from riir_airflow.engine.vocabulary import GetVariable
        client.request(GetVariable(key="shared"))
        return "answered"
    except RuntimeError as err:
        return f"refused: {err}"
    finally:
        client.token = token


REPORT = os.environ["HOSTILE_REPORT"]
with open(REPORT + ".toplevel", "w") as handle:
    json.dump(attack_in_thread(), handle)

with DAG("attacker", schedule=None):
    @task
    def strike():
        with open(REPORT + ".task", "w") as handle:
            json.dump({"credentials": find_credentials(), "forged": forge_channel_request()}, handle)

    strike()
"""


def _check(report: dict[str, str]) -> None:
    assert report["role"].startswith("riir_app_attacker_")
    # Reads of the victim's rows see nothing; writes change nothing; everything else is refused outright.
    assert report.pop("read_victim_xcom") == "done: 0" and report.pop("read_victim_runs") == "done: 0"
    assert report.pop("delete_victim_runs") == "done: DELETE 0"
    assert report.pop("fail_victim_tasks") == "done: UPDATE 0"
    report.pop("role")
    refused = {name: outcome for name, outcome in report.items() if not outcome.startswith("refused")}
    assert not refused, refused


async def test_hostile_dag_under_its_own_role(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    victim_uri = cli(app_env, "db", "grant-app", "victim").stdout.strip()
    attacker_uri = cli(app_env, "db", "grant-app", "attacker").stdout.strip()
    report = tmp_path / "report"
    victim_env = {**app_env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": victim_uri}
    attacker_env = {**app_env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": attacker_uri, "HOSTILE_REPORT": str(report)}
    victim = await start_app(victim_env, db, write_dag(dags, "victim.py", VICTIM), tmp_path / "victim.log")
    try:
        attacker = await start_app(attacker_env, db, write_dag(dags, "attacker.py", ATTACKER), tmp_path / "att.log")
        try:
            cli(app_env, "dags", "trigger", "victim", "-r", "r1")
            cli(app_env, "dags", "trigger", "attacker", "-r", "a1")
            task_log = "SELECT string_agg(line, chr(10) ORDER BY id) FROM task_log WHERE dag_id = 'attacker'"
            assert await wait_run_done(db, "attacker", "a1") == "success", await db.fetchval(task_log)
            assert await wait_run_done(db, "victim", "r1") == "success", victim.output()
            assert "NOT confined" not in attacker.output() + victim.output()
        finally:
            attacker.stop()
    finally:
        victim.stop()
    # The dag.py's top-level code runs in its app: it holds the app's own (confined) login, and nothing more.
    _check(json.loads(Path(f"{report}.toplevel").read_text()))
    # A task holds no credentials at all, and cannot speak on its channel as another try.
    task_report = json.loads(Path(f"{report}.task").read_text())
    credentials = task_report["credentials"]
    assert credentials["env"] == [] and credentials["proc_self_environ"] is False, task_report
    # The app is not dumpable: its /proc entries are closed to other processes of its user (root reads anyway).
    assert credentials["proc_parent_environ"] in (False, "refused: PermissionError"), task_report
    assert credentials["inherited_sockets"] == 1 and credentials["config"] is False, task_report
    assert task_report["forged"].startswith("refused: ") and "identity token" in task_report["forged"]
    # The victim's rows are whole: its run, both tries and the XCom between them.
    assert await db.fetchval("SELECT count(*) FROM dag_run WHERE dag_id = 'victim'") == 1
    states = await db.fetch("SELECT state FROM task_instance WHERE dag_id = 'victim'")
    assert [r["state"] for r in states] == ["success", "success"]
    value = await db.fetchval("SELECT value FROM xcom WHERE dag_id = 'victim' AND task_id = 'produce'")
    assert json.loads(value) == {"secret_result": 42}
    # The server log has each refused statement (PostgreSQL logs errors with the statement and role).
    assert await db.fetchval("SELECT count(*) FROM variable WHERE key = 'planted'") == 0


async def test_an_app_with_the_owners_login_warns_it_is_not_confined(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    app = await start_app(app_env, db, write_dag(dags, "victim.py", VICTIM), tmp_path / "owner.log")
    try:
        output = app.output()
    finally:
        app.stop()
    assert "it is NOT confined to its own DAGs' rows" in output and "db grant-app" in output


IMPERSONATED = """
import json, os
from airflow.sdk import DAG, task

with DAG("impersonated", schedule=None):
    @task
    def probe():
        outcome = {"uid": os.getuid()}
        for label, path in (("parent_environ", f"/proc/{os.getppid()}/environ"),
                            ("password_file", os.environ["PROBE_SECRET_FILE"])):
            try:
                with open(path, "rb") as handle:
                    handle.read()
                outcome[label] = "read"
            except OSError as err:
                outcome[label] = type(err).__name__
        try:
            os.kill(os.getppid(), 0)  # may it signal its app (or any other app of the app's user)?
            outcome["signal_app"] = "allowed"
        except OSError as err:
            outcome["signal_app"] = type(err).__name__
        return outcome

    probe()
"""


async def test_default_impersonation_keeps_the_apps_secrets_out_of_reach(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    import os
    import pwd

    secret = tmp_path / "home" / "simple_auth_manager_passwords.json.generated"
    secret.write_text("{}")
    secret.chmod(0o600)
    env = {**app_env, "AIRFLOW__CORE__DEFAULT_IMPERSONATION": "nobody", "PROBE_SECRET_FILE": str(secret)}
    if os.getuid() != 0:
        pytest.fail("this test needs the app to run as root to switch users (as the run_as_user test does)")
    app = await start_app(env, db, write_dag(dags, "impersonated.py", IMPERSONATED), tmp_path / "imp.log")
    try:
        cli(env, "dags", "trigger", "impersonated", "-r", "r1")
        assert await wait_run_done(db, "impersonated", "r1") == "success", app.output()
    finally:
        app.stop()
    value = await db.fetchval("SELECT value FROM xcom WHERE dag_id = 'impersonated'")
    assert json.loads(value) == {
        "uid": pwd.getpwnam("nobody").pw_uid, "parent_environ": "PermissionError", "password_file": "PermissionError",
        "signal_app": "PermissionError",
    }  # fmt: skip
