"""Airflow 3.3's commands riir-airflow added for parity, against a real PostgreSQL database (a fresh one per test):
`dags clear` / `partitions clear` on partitioned runs, `teams`, `state-store clean`, `rotate-fernet-key`,
`config lint | update`, `db downgrade`, `db-manager`, `kerberos` (no KDC: the kinit command line, the errors)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import env_for, write_dag

pytestmark = [pytest.mark.postgres]

PARTITIONED_DAG = """
    import datetime
    from airflow.sdk import DAG, CronPartitionTimetable, task

    with DAG(dag_id="parted", start_date=datetime.datetime(2024, 1, 1),
             schedule=CronPartitionTimetable("0 0 * * *", timezone="Europe/Paris")):
        @task
        def one(): ...
        @task
        def two(): ...
        one() >> two()

    with DAG(dag_id="plain", start_date=datetime.datetime(2024, 1, 1), schedule=None):
        @task
        def only(): ...
        only()
"""
UTC = dt.UTC


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "riir_airflow", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False, input=stdin)  # fmt: skip


def ok(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = cli(env, *args, stdin=stdin)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def fails(env: dict[str, str], *args: str) -> str:
    """The one-line error of a command that must fail with exit code 1."""
    result = cli(env, *args)
    assert result.returncode == 1, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stderr.strip()


def sql(dsn: str, query: str, *params: object) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(dsn)
        try:
            return list(await conn.fetch(query, *params))
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture
def env(pg_dsn: str, tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "dags"
    folder.mkdir()
    write_dag(folder, "parted.py", PARTITIONED_DAG)
    env = env_for(pg_dsn, tmp_path / "home", AIRFLOW__CORE__DAGS_FOLDER=str(folder))
    ok(env, "db", "migrate")
    ok(env, "dags", "reserialize")
    return env


@pytest.fixture
def partitioned_runs(env: dict[str, str], pg_dsn: str) -> dict[str, str]:
    """Runs p1 (key 2024-01-01, Paris midnight of Jan 1), p2 (2024-01-02) and r3 (no partition) of `parted`."""
    for run_id in ("p1", "p2", "r3"):
        ok(env, "dags", "trigger", "parted", "-r", run_id)
    for run_id, key, date in (("p1", "2024-01-01", dt.datetime(2023, 12, 31, 23, tzinfo=UTC)),
                              ("p2", "2024-01-02", dt.datetime(2024, 1, 1, 23, tzinfo=UTC))):  # fmt: skip
        sql(pg_dsn, "UPDATE dag_run SET partition_key = $2, partition_date = $3, state = 'success' "
            "WHERE dag_id = 'parted' AND run_id = $1", run_id, key, date)  # fmt: skip
        sql(pg_dsn, "UPDATE task_instance SET state = 'success' WHERE dag_id = 'parted' AND run_id = $1", run_id)
    return env


# `-o json` prints booleans as Airflow does, as strings.
def test_details_say_whether_the_timetable_is_partitioned(env: dict[str, str]) -> None:
    assert json.loads(ok(env, "dags", "details", "parted", "-o", "json"))[0]["timetable_partitioned"] == "True"
    assert json.loads(ok(env, "dags", "details", "plain", "-o", "json"))[0]["timetable_partitioned"] == "False"
    listed = json.loads(ok(env, "dags", "list", "-o", "json", "--columns", "dag_id,timetable_partitioned"))
    assert {d["dag_id"]: d["timetable_partitioned"] for d in listed} == {"parted": "True", "plain": "False"}
    local = json.loads(ok(env, "dags", "list", "-l", "-o", "json", "--columns", "dag_id,timetable_partitioned"))
    assert {d["dag_id"]: d["timetable_partitioned"] for d in local} == {"parted": "True", "plain": "False"}


def test_dags_clear_needs_exactly_one_selector(partitioned_runs: dict[str, str], pg_dsn: str) -> None:
    env = partitioned_runs
    assert fails(env, "dags", "clear", "parted") == ("One of --run-id, --partition-key, or --partition-date-start / "
                                                     "--partition-date-end must be provided.")  # fmt: skip
    assert "mutually exclusive" in fails(env, "dags", "clear", "parted", "--run-id", "p1", "--partition-key", "x")
    assert fails(env, "dags", "clear", "parted", "--partition-date-start", "2024-01-03", "--partition-date-end",
                 "2024-01-02") == "--partition-date-start must be on or before --partition-date-end."  # fmt: skip
    bad = cli(env, "dags", "clear", "parted", "--partition-date-start", "not a date")
    assert bad.returncode == 2 and "--partition-date-start" in bad.stderr
    assert (
        fails(env, "dags", "clear", "nope", "--run-id", "x") == "error: Dag 'nope' could not be found in the database."
    )
    assert ok(env, "dags", "clear", "parted", "--partition-key", "2099", "-y").strip() == "No matching Dag runs found."
    # A date alone is local midnight in the timetable's zone: Paris midnight of Jan 2 is p2's partition date.
    out = ok(env, "dags", "clear", "parted", "--partition-date-start", "2024-01-02", "--partition-date-end",
             "2024-01-02", "-y")  # fmt: skip
    assert out.strip() == "Cleared 2 task instance(s) across 1 Dag run(s)."
    states = {r["run_id"]: r["state"] for r in sql(pg_dsn, "SELECT run_id, state FROM dag_run WHERE dag_id = 'parted'")}
    assert states["p2"] == "queued" and states["p1"] == "success"
    cancelled = cli(env, "dags", "clear", "parted", "--partition-key", "2024-01-01", stdin="n\n")
    assert cancelled.returncode == 0 and "You are about to clear 1 Dag run(s) of 'parted':" in cancelled.stdout
    assert "  p1  partition_key=2024-01-01  partition_date=2023-12-31 23:00:00+00:00" in cancelled.stdout
    assert cancelled.stdout.strip().endswith("Cancelled, nothing was cleared.")
    out = ok(env, "dags", "clear", "parted", "--run-id", "r3", "--only-failed", "-y")
    assert out.strip() == "Cleared 0 task instance(s) across 1 Dag run(s)."


def test_partitions_clear_forgets_partition_fields(partitioned_runs: dict[str, str], pg_dsn: str) -> None:
    env = partitioned_runs

    def fields() -> dict[str, tuple[str | None, bool]]:
        rows = sql(pg_dsn, "SELECT run_id, partition_key, partition_date FROM dag_run WHERE dag_id = 'parted'")
        return {r["run_id"]: (r["partition_key"], r["partition_date"] is not None) for r in rows}

    before = fields()
    assert "Specify exactly one of" in fails(env, "partitions", "clear", "-d", "parted")
    assert fails(env, "partitions", "clear", "-d", "parted", "--date", "2024-01-01~2024-01-02", "-s",
                 "2024-01-01") == "--date cannot be combined with --start-date / --end-date."  # fmt: skip
    assert fails(env, "partitions", "clear", "-d", "parted", "--date", "2024-01-03~2024-01-01") == (
        "--date: the start of the range ('2024-01-03') must be on or before the end ('2024-01-01')."
    )
    dry = ok(env, "partitions", "clear", "-d", "parted", "--date", "2024-01-01~2024-01-02", "--dry-run",
             "--clear-task-instances")  # fmt: skip
    assert dry.splitlines() == [
        "DagRun p1: partition_key='2024-01-01' -> None, partition_date=2023-12-31T23:00:00+00:00 -> None",
        "DagRun p2: partition_key='2024-01-02' -> None, partition_date=2024-01-01T23:00:00+00:00 -> None",
        "Dry run: would clear task instances on 2 DagRun(s) (4 task instance(s)).",
        "Dry run: would clear 2 DagRun(s). No changes written.",
    ]
    assert fields() == before
    out = ok(env, "partitions", "clear", "-d", "parted", "-k", "2024-01-01", "--clear-task-instances")
    assert out.splitlines()[-2:] == ["Cleared task instances on 1 DagRun(s) (2 task instance(s)).",
                                     "Cleared partition fields on 1 DagRun(s)."]  # fmt: skip
    assert fields()["p1"] == (None, False) and fields()["p2"] == ("2024-01-02", True)
    again = ok(env, "partitions", "clear", "-d", "parted", "-r", "p1")
    assert again.splitlines() == ["DagRun p1: already cleared, skipping.", "Cleared partition fields on 0 DagRun(s)."]
    none = ok(env, "partitions", "clear", "-d", "parted", "-s", "2030-01-01")
    assert none.strip() == "No matching DagRuns found for dag_id=parted."


def test_teams(env: dict[str, str], pg_dsn: str) -> None:
    assert ok(env, "teams", "list").strip() == "No teams found."
    assert ok(env, "teams", "create", "data-eng").strip() == "Team 'data-eng' created successfully."
    assert fails(env, "teams", "create", "data-eng") == "Team with name 'data-eng' already exists"
    assert fails(env, "teams", "create", "x!") == "Invalid team name: must match regex ^[a-zA-Z0-9_-]{3,50}$"
    synced = dict(env, AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST=json.dumps([
        {"name": "a", "classpath": "x", "kwargs": {}, "team_name": "ml_team"},
        {"name": "b", "classpath": "x", "kwargs": {}, "team_name": "data-eng"},
        {"name": "c", "classpath": "x", "kwargs": {}}]))  # fmt: skip
    assert ok(synced, "teams", "sync").strip() == "1 teams added."
    assert ok(synced, "teams", "sync").strip() == ""
    assert json.loads(ok(env, "teams", "list", "-o", "json")) == [{"name": "data-eng"}, {"name": "ml_team"}]
    assert ok(env, "teams", "delete", "ml_team", stdin="n\n").strip().endswith("Team deletion cancelled")
    assert ok(env, "teams", "delete", "ml_team", "-y").strip() == "Team 'ml_team' deleted successfully"
    assert fails(env, "teams", "delete", "ml_team", "-y") == "Team 'ml_team' does not exist"
    assert [r["name"] for r in sql(pg_dsn, "SELECT name FROM team")] == ["data-eng"]


def test_rotate_fernet_key_re_encrypts_with_the_first_key(env: dict[str, str], pg_dsn: str) -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    ok(dict(env, AIRFLOW__CORE__FERNET_KEY=old), "variables", "set", "secret", "s3cr3t")
    stored = sql(pg_dsn, "SELECT val FROM variable WHERE key = 'secret'")[0]["val"]
    assert ok(dict(env, AIRFLOW__CORE__FERNET_KEY=f"{new},{old}"), "rotate-fernet-key") == ""
    rotated = sql(pg_dsn, "SELECT val FROM variable WHERE key = 'secret'")[0]["val"]
    assert rotated != stored and Fernet(new.encode()).decrypt(rotated.encode()) == b"s3cr3t"
    assert ok(dict(env, AIRFLOW__CORE__FERNET_KEY=new), "variables", "get", "secret").strip() == "s3cr3t"


def test_state_store_clean(partitioned_runs: dict[str, str], env: dict[str, str], pg_dsn: str) -> None:
    assert ok(env, "state-store", "clean", "--dry-run").strip() == "Nothing to delete."
    run_id = "p1"
    for key, expires in (("old", "now() - interval '1 day'"), ("fresh", "now() + interval '1 day'"), ("kept", "NULL")):
        sql(pg_dsn, "INSERT INTO task_state_store (dag_id, run_id, task_id, key, value, expires_at) "
                    f"VALUES ('parted', $1, 'work', '{key}', '1', {expires})", run_id)  # fmt: skip
    assert ok(env, "state-store", "clean", "--dry-run").splitlines() == [
        "Would delete 1 task state store row(s):", "",
        f"  Dag 'parted', run {run_id!r}, task 'work', map_index -1, key 'old'",
    ]  # fmt: skip
    assert ok(env, "state-store", "clean").strip() == ""
    assert sorted(r["key"] for r in sql(pg_dsn, "SELECT key FROM task_state_store")) == ["fresh", "kept"]
    custom = dict(env, AIRFLOW__STATE_STORE__BACKEND="my.pkg.S3StateBackend")
    assert ok(custom, "state-store", "clean").strip() == ("Custom state store backend configured (S3StateBackend); "
                                                          "skipping. The clean command currently supports the "
                                                          "metastore backend only.")  # fmt: skip


def test_config_lint_and_update(env: dict[str, str], tmp_path: Path) -> None:
    assert ok(env, "config", "lint").strip() == "No issues found in your airflow.cfg. It is ready for Airflow 3!"
    cfg = tmp_path / "home" / "airflow.cfg"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text("[core]\n# mine\ncheck_slas = True\n[webserver]\nweb_server_port = 8081\n")
    assert ok(env, "config", "lint").splitlines() == [
        "Found issues in your airflow.cfg:",
        "  - Removed deprecated `check_slas` configuration parameter from `core` section. The SLA feature is removed "
        "in Airflow 3.0, to be replaced with Airflow Alerts in future",
        "  - `web_server_port` configuration parameter moved from `webserver` section to `api` section as `port`.",
        "",
        "Please update your configuration file accordingly.",
    ]
    assert "No issues" in ok(env, "config", "lint", "--ignore-section", "core,webserver")
    dry = ok(env, "config", "update", "--all-recommendations")
    assert "[Recommended] Renamed 'webserver/web_server_port' to 'api/port'." in dry
    assert cfg.read_text().count("check_slas") == 1 and (tmp_path / "home" / "airflow.cfg.bak").exists()
    assert "No updates needed" in ok(env, "config", "update")  # neither change is breaking
    ok(env, "config", "update", "--all-recommendations", "--fix")
    assert cfg.read_text() == "[core]\n# mine\n[webserver]\n\n[api]\nport = 8081\n"
    assert ok(env, "config", "get-value", "api", "port").strip() == "8081"


def test_db_downgrade_and_db_manager_refuse_with_airflow_checks(env: dict[str, str]) -> None:
    assert fails(env, "db", "downgrade") == "Must provide either --to-revision or --to-version."
    assert fails(env, "db", "downgrade", "-r", "a", "-n", "3.0.0") == ("Cannot supply both `--to-revision` and "
                                                                        "`--to-version`.")  # fmt: skip
    assert "`--show-sql-only`" in fails(env, "db", "downgrade", "-n", "3.0.0", "--from-version", "3.1.0")
    assert "forward-only" in fails(env, "db", "downgrade", "-n", "3.0.0", "-y")
    # Nothing configured: Airflow fails on the option it cannot find.
    assert fails(env, "db-manager", "migrate", "a.b.C") == ("error: section/key [database/external_db_managers] not "
                                                            "found in config")  # fmt: skip
    configured = dict(env, AIRFLOW__DATABASE__EXTERNAL_DB_MANAGERS="pkg.db.Manager")
    assert fails(configured, "db-manager", "reset", "a.b.C", "-y") == "DB manager a.b.C not found in configuration."
    assert "cannot run under riir-airflow" in fails(configured, "db-manager", "migrate", "pkg.db.Manager")


def test_kerberos_runs_kinit_with_airflows_command_line(env: dict[str, str], tmp_path: Path) -> None:
    missing = cli(dict(env, AIRFLOW__KERBEROS__KINIT_PATH=str(tmp_path / "no-kinit")), "kerberos", "-o")
    assert missing.returncode == 1 and "no-kinit not found ([kerberos] kinit_path)" in missing.stderr
    no_keytab = cli(env, "kerberos", "-k")
    assert no_keytab.returncode == 0 and "Keytab renewer not starting, no keytab configured" in no_keytab.stderr
    # A stand-in kinit (there is no KDC here) that records the command line it was given.
    recorded, kinit = tmp_path / "argv", tmp_path / "kinit"
    kinit.write_text(f'#!/bin/sh\necho "$@" >> {recorded}\nexit ${{KINIT_EXIT:-0}}\n')
    kinit.chmod(0o755)
    krb = dict(env, AIRFLOW__KERBEROS__KINIT_PATH=str(kinit), AIRFLOW__KERBEROS__CCACHE=str(tmp_path / "cc"),
               AIRFLOW__KERBEROS__REINIT_FREQUENCY="60", AIRFLOW__KERBEROS__INCLUDE_IP="False")  # fmt: skip
    ok(krb, "kerberos", "svc@EXAMPLE.COM", "-k", "/etc/svc.keytab", "--one-time", "--pid", str(tmp_path / "pid"))
    assert recorded.read_text().split() == ["-f", "-A", "-r", "60m", "-k", "-t", "/etc/svc.keytab", "-c",
                                            str(tmp_path / "cc"), "svc@EXAMPLE.COM"]  # fmt: skip
    assert (tmp_path / "pid").read_text().strip().isdigit()
    failing = cli(dict(krb, KINIT_EXIT="3"), "kerberos", "-k", "/etc/svc.keytab", "-o")
    assert failing.returncode == 3 and "Couldn't reinit from keytab! `kinit` exited with 3." in failing.stderr
    # -D detaches (Airflow's PID and output files); the renewer runs on in the background.
    before = len(recorded.read_text().splitlines())
    files = ["--pid", str(tmp_path / "d.pid"), "--stderr", str(tmp_path / "d.err"), "-l", str(tmp_path / "d.log")]
    ok(krb, "kerberos", "-k", "/etc/svc.keytab", "-o", "-D", *files)
    deadline = time.monotonic() + 30
    while len(recorded.read_text().splitlines()) == before or (tmp_path / "d.pid").exists():
        assert time.monotonic() < deadline, (tmp_path / "d.err").read_text()
        time.sleep(0.1)
    assert "Using airflow kerberos with mode: one-time" in (tmp_path / "d.log").read_text()
