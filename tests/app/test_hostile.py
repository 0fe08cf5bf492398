"""A hostile DAG file beside a victim, each app under its own role from `db grant-app`: the attacks from the
dag.py's top-level code and from its tasks are refused by the database, and the victim's runs finish untouched."""

from __future__ import annotations

import json
import os
import re
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


def scan_memory(pid, needle):
    # Every readable mapping of another process, searched for the database password.
    try:
        with open(f"/proc/{pid}/maps") as handle:
            maps = handle.read().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb", 0)
    except OSError as err:
        return f"refused: {type(err).__name__}"
    with mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r"):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    return True
            except (OSError, OverflowError, ValueError):
                continue
    return False


def parent_of(pid):
    # /proc shows the machine's pids even inside the task's PID namespace (where os.getppid() is 0).
    with open(f"/proc/{pid}/stat") as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[1])


def signal_apps():
    # SIGKILL to another app (and to its fork server), and to this task's own fork server and app: each outcome is
    # printed to the task's log. A /proc/<pid> descriptor names a process without its number: tried too.
    import signal
    parent = parent_of("self")
    targets = {
        "victim_app": int(os.environ["HOSTILE_VICTIM_PID"]),
        "victim_fork_server": int(os.environ["HOSTILE_VICTIM_FORK_SERVER"]),
        "own_fork_server": parent,
        "own_app": parent_of(parent),
        "namespace_init": 1,  # its own fork server again, by its number inside the namespace
    }
    outcomes = {}
    for label, pid in targets.items():
        try:
            os.kill(pid, signal.SIGKILL)
            outcomes[label] = "done"
        except OSError as err:
            outcomes[label] = f"refused: {type(err).__name__}"
        print(f"signal {label} (pid {pid}): {outcomes[label]}", flush=True)
    try:
        fd = os.open(f"/proc/{targets['victim_app']}", os.O_RDONLY | os.O_DIRECTORY)
        try:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
            outcomes["victim_app_pidfd"] = "done"
        finally:
            os.close(fd)
    except OSError as err:
        outcomes["victim_app_pidfd"] = f"refused: {type(err).__name__}"
    print(f"signal victim_app_pidfd: {outcomes['victim_app_pidfd']}", flush=True)
    return outcomes


def find_credentials():
    # Everything a task (or the template's copy of this file) could use to reach the database on its own.
    found = {}
    needle = "SQL_ALCHEMY_CONN"
    password = os.environ["HOSTILE_NEEDLE_REVERSED"][::-1].encode()
    found["env"] = [k for k in os.environ if needle in k or k in ("PGPASSWORD", "AIRFLOW__CORE__FERNET_KEY")]
    parent = parent_of("self")
    for label, who in (("proc_self_environ", "self"), ("proc_parent_environ", str(parent)),
                       ("proc_grandparent_environ", str(parent_of(parent)))):
        try:
            with open(f"/proc/{who}/environ", "rb") as handle:
                found[label] = needle.encode() in handle.read() or password in handle.read()
        except OSError as err:
            found[label] = f"refused: {type(err).__name__}"
    found["proc_parent_mem"] = scan_memory(parent, password)
    found["proc_grandparent_mem"] = scan_memory(parent_of(parent), password)
    sockets = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            sockets += os.readlink(f"/proc/self/fd/{name}").startswith("socket:")
        except OSError:
            continue
    found["inherited_sockets"] = sockets  # the task's own channel is one
    secret_file = os.path.join(os.environ["AIRFLOW_HOME"], "simple_auth_manager_passwords.json.generated")
    with open(secret_file) as handle:
        found["password_file"] = handle.read()
    # The init of each PID namespace of tasks is its fork server (this one's and the victim's; its tasks carry its
    # name until they exec, but not its number 1): its root, if readable, would show its mount namespace's copy of
    # the secret file.
    inits = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as handle:
                status = dict(line.split(":", 1) for line in handle.read().splitlines() if ":" in line)
            if status["Name"].strip() == "riir-fork-srv" and status["NSpid"].split()[-1] == "1":
                inits.append(pid)
        except OSError:
            continue
    found["namespace_inits"] = len(inits)
    found["init_root_password_file"] = []
    for pid in inits:
        try:
            with open(f"/proc/{pid}/root{secret_file}") as handle:
                found["init_root_password_file"].append(handle.read())
        except OSError as err:
            found["init_root_password_file"].append(f"refused: {type(err).__name__}")
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    found["unmask"] = "done" if libc.umount2(secret_file.encode(), 2) == 0 else f"refused: errno {ctypes.get_errno()}"
    from riir_airflow.config import conf
    found["config"] = bool(conf.get("database", "sql_alchemy_conn", fallback=""))
    return found


def forge_channel_request():
    # Talk to the app over the task channel without the try identity token.
    from riir_airflow.authoring import secrets_backends as task_secrets
    client = task_secrets.store.client
    token, client.token = client.token, None
    try:
        from riir_airflow.engine.messages import GetVariable
        client.request(GetVariable(key="shared"))
        return "answered"
    except RuntimeError as err:
        return f"refused: {err}"
    finally:
        client.token = token


REPORT = os.environ["HOSTILE_REPORT"]
# At import the app holds no secret yet (it reads them after forking its fork server from this state).
from riir_airflow.config import conf
with open(REPORT + ".import", "w") as handle:
    json.dump({
        "env": [k for k in os.environ if "SQL_ALCHEMY_CONN" in k or k in ("PGPASSWORD", "AIRFLOW__CORE__FERNET_KEY")],
        "proc_self_environ": b"SQL_ALCHEMY_CONN" in open("/proc/self/environ", "rb").read(),
        "config": bool(conf.get("database", "sql_alchemy_conn", fallback="")),
    }, handle)


def linger():
    # Code the import leaves running in the app sees the app's login once the app has read it: its own role.
    import time
    for _ in range(1200):
        if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in os.environ:
            break
        time.sleep(0.05)
    with open(REPORT + ".toplevel", "w") as handle:
        json.dump(asyncio.run(attack()), handle)


threading.Thread(target=linger, daemon=True).start()

with DAG("attacker", schedule=None):
    @task
    def strike():
        with open(REPORT + ".task", "w") as handle:
            json.dump({"credentials": find_credentials(), "forged": forge_channel_request(), "signals": signal_apps()},
                      handle)

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


def _check_no_credentials(found: dict[str, object]) -> None:
    assert found["env"] == [] and found["proc_self_environ"] is False, found
    # The task's parent is the fork server: no secret in its environment, and its memory is closed to the task (no
    # ptrace capability, not dumpable); the app (the grandparent) is closed the same way.
    assert found["proc_parent_environ"] in (False, "refused: PermissionError"), found
    assert found["proc_parent_mem"] in (False, "refused: PermissionError"), found
    assert found["proc_grandparent_environ"] in (False, "refused: PermissionError"), found
    assert found["proc_grandparent_mem"] == "refused: PermissionError", found
    # Descriptors: stdio (the log pipe, /dev/null) and one socket, its own channel.
    assert found["inherited_sockets"] == 1 and found["config"] is False, found
    # The app runs as root here: the fork server's mount namespace shows the secret files empty, for good.
    assert found["password_file"] == "" and found["unmask"] == "refused: errno 1", found
    # Nor through the root of a PID namespace's init, a fork server (not dumpable, and masked like the tasks): at
    # least this app's and the victim's (other tests' apps may run beside them).
    assert found["namespace_inits"] >= 2, found
    assert set(found["init_root_password_file"]) == {"refused: PermissionError"}, found


def children_of(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def fork_server_of(app_pid: int) -> int:
    """The app's fork server: its child named riir-fork-srv."""
    for pid in children_of(app_pid):
        if Path(f"/proc/{pid}/comm").read_text().strip() == "riir-fork-srv":
            return pid
    raise AssertionError(f"app {app_pid} has no fork server child")


def scan_memory(pid: int, needle: bytes) -> bool:
    """Whether `needle` is in any readable mapping of process `pid` (read as root from this test)."""
    with open(f"/proc/{pid}/maps") as handle:
        maps = handle.read().splitlines()
    with open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r"):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    return True
            except (OSError, OverflowError, ValueError):
                continue
    return False


async def test_hostile_dag_under_its_own_role(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    secret = Path(app_env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
    secret.write_text('{"admin": "the-admin-password"}')
    secret.chmod(0o600)
    victim_uri = cli(app_env, "db", "grant-app", "victim").stdout.strip()
    attacker_uri = cli(app_env, "db", "grant-app", "attacker").stdout.strip()
    report = tmp_path / "report"
    victim_env = {**app_env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": victim_uri}
    password = attacker_uri.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    attacker_env = {
        **app_env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": attacker_uri, "HOSTILE_REPORT": str(report),
        "HOSTILE_NEEDLE_REVERSED": password[::-1],
    }  # fmt: skip
    victim = await start_app(victim_env, db, write_dag(dags, "victim.py", VICTIM), tmp_path / "victim.log")
    try:
        attacker_env["HOSTILE_VICTIM_PID"] = str(victim.proc.pid)
        attacker_env["HOSTILE_VICTIM_FORK_SERVER"] = str(fork_server_of(victim.proc.pid))
        attacker = await start_app(attacker_env, db, write_dag(dags, "attacker.py", ATTACKER), tmp_path / "att.log")
        try:
            cli(app_env, "dags", "trigger", "victim", "-r", "r1")
            cli(app_env, "dags", "trigger", "attacker", "-r", "a1")
            task_log = "SELECT string_agg(line, chr(10) ORDER BY id) FROM task_log WHERE dag_id = 'attacker'"
            assert await wait_run_done(db, "attacker", "a1") == "success", await db.fetchval(task_log)
            assert await wait_run_done(db, "victim", "r1") == "success", victim.output()
            assert "NOT confined" not in attacker.output() + victim.output()
            # The task's signals reached no process outside its PID namespace: it says so in its log, and both
            # apps still run (the victim's run finished above).
            log = await db.fetchval(task_log)
            assert f"signal victim_app (pid {victim.proc.pid}): refused: ProcessLookupError" in log, log
            for target in ("victim_fork_server", "own_fork_server", "own_app"):
                assert re.search(rf"signal {target} \(pid \d+\): refused: ProcessLookupError", log), log
            assert "signal victim_app_pidfd: refused: OSError" in log, log
            assert victim.proc.poll() is None and attacker.proc.poll() is None
            # Seen from outside (this test runs as root): the template the tasks fork from holds no password in
            # its memory, while its app does (which shows the scan finds it where it is).
            template = fork_server_of(attacker.proc.pid)
            # The template is PID 1 of its tasks' namespace: the task's SIGKILL to pid 1 ("done" in its log: the
            # kernel drops it without an error) left it alive.
            assert "signal namespace_init (pid 1): done" in log, log
            nspid = next(line for line in Path(f"/proc/{template}/status").read_text().splitlines() if "NSpid" in line)
            assert nspid.split()[1:] == [str(template), "1"], nspid
            assert scan_memory(template, password.encode()) is False
            assert scan_memory(attacker.proc.pid, password.encode()) is True
        finally:
            attacker.stop()
    finally:
        victim.stop()
    # The dag.py's top-level code runs in its app: it holds the app's own (confined) login, and nothing more.
    _check(json.loads(Path(f"{report}.toplevel").read_text()))
    # At import time the top-level code finds no credential in the environment or the config.
    assert json.loads(Path(f"{report}.import").read_text()) == {"env": [], "proc_self_environ": False, "config": False}
    # A task holds no credentials at all, and cannot speak on its channel as another try.
    task_report = json.loads(Path(f"{report}.task").read_text())
    _check_no_credentials(task_report["credentials"])
    assert task_report["forged"].startswith("refused: ") and "identity token" in task_report["forged"]
    # It runs as root, without run_as_user, yet cannot signal its own app, another app, or either's fork server.
    assert task_report["signals"] == {
        "victim_app": "refused: ProcessLookupError", "victim_fork_server": "refused: ProcessLookupError",
        "own_fork_server": "refused: ProcessLookupError", "own_app": "refused: ProcessLookupError",
        "namespace_init": "done", "victim_app_pidfd": "refused: OSError",
    }  # fmt: skip
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
        with open("/proc/self/stat") as handle:  # its real parent (os.getppid() is 0 in its PID namespace)
            parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        for label, path in (("parent_environ", f"/proc/{parent}/environ"),
                            ("password_file", os.environ["PROBE_SECRET_FILE"])):
            try:
                with open(path, "rb") as handle:
                    handle.read()
                outcome[label] = "read"
            except OSError as err:
                outcome[label] = type(err).__name__
        try:
            os.kill(parent, 0)  # may it signal its fork server (or any other process of the app's user)?
            outcome["signal_app"] = "allowed"
        except OSError as err:
            outcome["signal_app"] = type(err).__name__
        return outcome

    probe()
"""


async def test_default_impersonation_keeps_the_apps_secrets_out_of_reach(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
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
        "signal_app": "ProcessLookupError",  # outside its PID namespace: no such process, whatever the user
    }  # fmt: skip
