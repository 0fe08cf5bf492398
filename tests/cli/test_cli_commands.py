"""The Airflow-compatible command groups against a real PostgreSQL database (a fresh one per test).

What the compat suite cannot show because Airflow behaves differently or it needs riir-only setup: wrong arguments
print usage and exit 2; errors are one line and exit 1; a triggered run lists its task instances at once; file
round trips (variables, connections, pools); backfills with their runs; `dags test` / `tasks test` recorded in the
metastore; `db clean` with its archive; commands Airflow has and riir replaces say so and exit 2.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.app.harness import env_for

pytestmark = [pytest.mark.postgres]

DAGS = Path(__file__).resolve().parents[2] / "compat-tests" / "cli" / "dags"


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "riir_airflow", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False, input=stdin)  # fmt: skip


def ok(env: dict[str, str], *args: str) -> str:
    result = cli(env, *args)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def env(pg_dsn: str, tmp_path: Path) -> dict[str, str]:
    env = env_for(pg_dsn, tmp_path / "home", AIRFLOW__CORE__DAGS_FOLDER=str(DAGS))
    ok(env, "db", "migrate")
    ok(env, "dags", "reserialize")
    return env


def test_usage_errors_exit_2_and_failures_are_one_line(env: dict[str, str]) -> None:
    wrong = cli(env, "dags", "list-runs")
    assert wrong.returncode == 2 and "usage: riir-airflow dags list-runs" in wrong.stderr
    assert cli(env, "frobnicate").returncode == 2
    missing = cli(env, "dags", "details", "no_such_dag")
    assert missing.returncode == 1 and missing.stderr.strip() == "DAG: no_such_dag does not exist in 'dag' table"
    for command in ("scheduler", "dag-processor", "triggerer"):
        replaced = cli(env, command, "--num-runs", "1") if command != "triggerer" else cli(env, command)
        assert replaced.returncode == 2 and len(replaced.stderr.strip().splitlines()) == 1
        assert "app" in replaced.stderr


def test_trigger_lists_task_instances_at_once_in_every_format(env: dict[str, str]) -> None:
    ok(env, "dags", "trigger", "cli_etl", "-r", "r1", "-c", '{"count": 2}')
    states = json.loads(ok(env, "tasks", "states-for-dag-run", "cli_etl", "r1", "-o", "json"))
    assert sorted(s["task_id"] for s in states) == ["extract", "load", "report.announce"]
    as_yaml = yaml.safe_load(ok(env, "tasks", "states-for-dag-run", "cli_etl", "r1", "-o", "yaml"))
    assert [{k: r[k] for k in sorted(r)} for r in as_yaml] == [{k: r[k] for k in sorted(r)} for r in states]
    table = ok(env, "tasks", "states-for-dag-run", "cli_etl", "r1").splitlines()
    assert table[0].split(" | ")[0].strip() == "dag_id" and set(table[1]) <= {"=", "+"}
    plain = ok(env, "tasks", "states-for-dag-run", "cli_etl", "r1", "-o", "plain").splitlines()
    assert plain[0].split()[:3] == ["dag_id", "logical_date", "task_id"] and len(plain) == 4
    assert ok(env, "dags", "state", "cli_etl", "r1").strip() == 'queued, {"count": 2}'


def test_trigger_gives_a_data_interval_only_with_a_logical_date(env: dict[str, str]) -> None:
    # Airflow 3.3's `dags trigger`: no logical date, no data interval; with one, the timetable's manual interval
    # for the trigger time (cli_etl's @daily is a CronTriggerTimetable without interval: start = end = now).
    (plain,) = json.loads(ok(env, "dags", "trigger", "cli_etl", "-r", "plain", "-o", "json"))
    assert (plain["data_interval_start"], plain["data_interval_end"]) == (None, None)
    (dated,) = json.loads(ok(env, "dags", "trigger", "cli_etl", "-r", "dated", "-l", "2024-01-02T00:00:00+00:00",
                             "-o", "json"))  # fmt: skip
    assert dated["logical_date"].startswith("2024-01-02")
    assert dated["data_interval_start"] == dated["data_interval_end"] is not None
    assert not dated["data_interval_start"].startswith("2024-01-02")  # from now, not from the logical date


def test_variables_connections_pools_round_trip_through_files(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "vars.json").write_text(json.dumps({"a": "x", "b": {"n": 1}, "c": {"value": "v", "description": "d"}}))
    assert "3 of 3 variables successfully updated." in ok(env, "variables", "import", str(tmp_path / "vars.json"))
    skipped = ok(env, "variables", "import", str(tmp_path / "vars.json"), "-a", "skip")
    assert "0 of 3 variables successfully updated." in skipped
    failing = cli(env, "variables", "import", str(tmp_path / "vars.json"), "-a", "fail")
    assert failing.returncode == 1 and "already exists" in failing.stderr
    ok(env, "variables", "export", str(tmp_path / "out.json"))
    assert json.loads((tmp_path / "out.json").read_text()) == {"a": "x", "b": {"n": 1},
                                                               "c": {"value": "v", "description": "d"}}  # fmt: skip
    (tmp_path / "bad.env").write_text("A=1\nno equals sign\n")
    bad = cli(env, "variables", "import", str(tmp_path / "bad.env"))
    assert bad.returncode == 1 and "bad.env:2" in bad.stderr

    ok(env, "connections", "add", "pg", "--conn-uri", "postgresql://u:secret@h:5432/db")
    ok(env, "connections", "add", "web", "--conn-type", "http", "--conn-host", "example.com",
       "--conn-extra", '{"timeout": 5}')  # fmt: skip
    ok(env, "connections", "export", str(tmp_path / "conns.yaml"))
    exported = yaml.safe_load((tmp_path / "conns.yaml").read_text())
    assert exported["pg"]["password"] == "secret" and json.loads(exported["web"]["extra"]) == {"timeout": 5}
    ok(env, "connections", "delete", "pg")
    assert "Imported connection pg" in ok(env, "connections", "import", str(tmp_path / "conns.yaml"))
    got = json.loads(ok(env, "connections", "get", "pg", "-o", "json"))[0]
    assert (got["login"], got["password"], got["port"], got["schema"]) == ("u", "secret", "5432", "db")
    masked = json.loads(ok(env, "connections", "list", "--show-values", "--hide-sensitive", "-o", "json"))
    assert all(c["password"] in ("***", None) and "secret" not in c["get_uri"] for c in masked)
    ok(env, "connections", "create-default-connections")
    assert len(json.loads(ok(env, "connections", "list", "-o", "json"))) >= 60

    ok(env, "pools", "set", "p1", "3", "first")
    ok(env, "pools", "export", str(tmp_path / "pools.json"))
    ok(env, "pools", "delete", "p1")
    assert "Uploaded 2 pool(s)" in ok(env, "pools", "import", str(tmp_path / "pools.json"))
    assert json.loads(ok(env, "pools", "get", "p1", "-o", "json"))[0]["slots"] == "3"
    default = cli(env, "pools", "delete", "default_pool")
    assert default.returncode == 1 and "can't be deleted" in default.stderr


def test_backfill_creates_its_runs_with_task_instances(env: dict[str, str]) -> None:
    dry = ok(env, "backfill", "create", "--dag-id", "cli_etl", "--from-date", "2024-03-01", "--to-date",
             "2024-03-03", "--dry-run")  # fmt: skip
    assert "Runs to be attempted:" in dry and dry.count("(create)") == 3
    assert json.loads(ok(env, "dags", "list-runs", "cli_etl", "-o", "json")) == []
    ok(env, "backfill", "create", "--dag-id", "cli_etl", "--from-date", "2024-03-01", "--to-date", "2024-03-03",
       "--run-backwards", "--max-active-runs", "2")  # fmt: skip
    runs = json.loads(ok(env, "dags", "list-runs", "cli_etl", "-o", "json"))
    assert sorted(r["logical_date"][:10] for r in runs) == ["2024-03-01", "2024-03-02", "2024-03-03"]
    states = json.loads(ok(env, "tasks", "states-for-dag-run", "cli_etl", runs[0]["run_id"], "-o", "json"))
    assert len(states) == 3
    again = cli(env, "backfill", "create", "--dag-id", "cli_etl", "--from-date", "2024-03-01", "--to-date",
                "2024-03-03")  # fmt: skip
    assert again.returncode == 1 and "No runs to create" in again.stderr
    not_periodic = cli(env, "backfill", "create", "--dag-id", "cli_producer", "--from-date", "2024-03-01",
                       "--to-date", "2024-03-03")  # fmt: skip
    assert not_periodic.returncode == 1 and "non-periodic" in not_periodic.stderr


def test_dags_test_and_tasks_test_are_recorded(env: dict[str, str]) -> None:
    ok(env, "dags", "test", "cli_etl", "2024-05-01")
    runs = json.loads(ok(env, "dags", "list-runs", "cli_etl", "-o", "json"))
    assert [(r["state"], r["logical_date"][:10]) for r in runs] == [("success", "2024-05-01")]
    states = json.loads(ok(env, "tasks", "states-for-dag-run", "cli_etl", runs[0]["run_id"], "-o", "json"))
    assert {s["task_id"]: s["state"] for s in states} == {"extract": "success", "load": "success",
                                                          "report.announce": "success"}  # fmt: skip
    assert ok(env, "tasks", "state", "cli_etl", "load", runs[0]["run_id"]).strip() == "success"
    ok(env, "tasks", "test", "cli_etl", "extract", "2024-05-02")
    runs = json.loads(ok(env, "dags", "list-runs", "cli_etl", "-o", "json"))
    assert len(runs) == 2
    version = json.loads(ok(env, "dags", "details", "cli_etl", "-o", "json"))[0]
    assert version["dag_id"] == "cli_etl"  # the stored DAG is still the whole DAG, not the one-task subset
    rendered = ok(env, "tasks", "render", "cli_etl", "report.announce", "2024-05-01")
    assert "echo 'done for 2024-05-01'" in rendered


def test_clean_archives_then_exports(env: dict[str, str], tmp_path: Path) -> None:
    ok(env, "dags", "test", "cli_etl", "2024-05-01")
    ok(env, "dags", "test", "cli_etl", "2024-05-02")
    dry = ok(env, "db", "clean", "--clean-before-timestamp", "2100-01-01", "--dry-run")
    assert "Table task_instance: 6 row(s)" in dry
    ok(env, "db", "clean", "--clean-before-timestamp", "2100-01-01", "-y")
    runs = json.loads(ok(env, "dags", "list-runs", "cli_etl", "-o", "json"))
    assert len(runs) == 1  # the newest run of the DAG is kept
    ok(env, "db", "export-archived", "--output-path", str(tmp_path / "archive"))
    exported = {p.name.split("__")[1] for p in (tmp_path / "archive").glob("*.csv")}
    assert {"task_instance", "dag_run"} <= exported
    ok(env, "db", "drop-archived", "-y")
    assert "No archived tables" in ok(env, "db", "drop-archived", "-y")


def test_pause_regex_jobs_and_info(env: dict[str, str]) -> None:
    ok(env, "dags", "unpause", "cli_.*", "--treat-dag-id-as-regex", "-y")
    paused = json.loads(ok(env, "dags", "pause", "cli_.*", "--treat-dag-id-as-regex", "-y", "-o", "json"))
    assert sorted(p["dag_id"] for p in paused) == ["cli_consumer", "cli_etl", "cli_producer"]
    jobs = cli(env, "jobs", "check")
    assert jobs.returncode == 1 and jobs.stderr.strip() == "No alive jobs found."
    info = json.loads(ok(env, "info", "-o", "json", "--anonymize"))[0]
    assert set(info) == {"riir-airflow", "system_info", "tools_info", "paths_info"}
    assert info["riir-airflow"]["version"] and info["riir-airflow"]["dags_folder"] == str(DAGS)
    sheet = ok(env, "cheat-sheet")
    assert "riir-airflow dags trigger" in sheet and "riir-airflow variables import" in sheet
