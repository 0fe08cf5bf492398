"""Must-show 4 of issue 13: a plugin in $AIRFLOW_HOME/plugins with a timetable, a macro and a listener works in
`dags test`, in a real DAG app on PostgreSQL, and in what a real broker shows (which never imports plugin code).
The plugins folder also holds a plugin that raises on import: it is named with its error and nothing else stops."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from riir_airflow.broker.app import create_app
from tests.app.harness import AppProcess, cli, env_for
from tests.broker.conftest import PASSWORD, ServerThread, broker_config, free_port

DATA = Path(__file__).resolve().parent / "data"


def _home_with_plugins(tmp_path: Path) -> Path:
    """An AIRFLOW_HOME whose default plugins folder ($AIRFLOW_HOME/plugins) holds the test plugins."""
    home = tmp_path / "home"
    shutil.copytree(DATA / "plugins", home / "plugins")
    return home


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_plugin_timetable_macro_and_listener_in_dags_test(tmp_path: Path) -> None:
    home = _home_with_plugins(tmp_path)
    events, results = tmp_path / "events.jsonl", tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(home), RIIR_AIRFLOW_COMPAT="1", PLUGIN_EVENTS_FILE=str(events))
    dag_file = str(DATA / "dags" / "plugin_dag.py")
    proc = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "dags", "test", dag_file, "2024-03-05", "--save-results", str(results)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = json.loads(results.read_text())
    assert run["run_state"] == "success"
    # The macro rendered the bash command; BashOperator pushed its output.
    assert run["xcoms"] == [
        {"task_id": "greet", "map_index": -1, "key": "return_value", "value": "hello riir from the team plugin"}
    ]
    assert [(e["hook"], e.get("task_id") or e.get("msg")) for e in _events(events)] == [
        ("on_task_instance_running", "greet"),
        ("on_task_instance_success", "greet"),
        ("on_dag_run_success", "success"),
    ]
    # The broken plugin is named, with its error; everything else loaded.
    assert "broken_plugin.py" in proc.stderr and "the broken plugin cannot be imported" in proc.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "dags", "show", dag_file, "--format", "text"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    # The plugin's timetable, with its summary.
    assert shown.stdout.splitlines()[0] == "DAG plugin_dag (every other day), 1 tasks"


def test_plugins_command_lists_plugins_and_names_the_broken_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(_home_with_plugins(tmp_path)), RIIR_AIRFLOW_COMPAT="1")
    proc = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "plugins", "-o", "json"], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1  # a plugin failed to import
    (info,) = json.loads(proc.stdout)
    assert info["name"] == "team_plugin" and info["source"] == "$PLUGINS_FOLDER/team_plugin.py"
    assert info["timetables"] == ["team_plugin.EveryOtherDayTimetable"]
    assert info["macros"] == ["team_plugin.team_greeting"] and info["listeners"] == ["team_plugin.TeamListener"]
    assert f"Failed to load plugin {env['AIRFLOW_HOME']}/plugins/broken_plugin.py: RuntimeError: " in proc.stderr


@pytest.mark.postgres
@pytest.mark.e2e
@pytest.mark.timeout(180)
def test_plugin_in_the_app_and_the_broker(pg_dsn: str, tmp_path: Path) -> None:
    home = _home_with_plugins(tmp_path)
    events = tmp_path / "events.jsonl"
    env = env_for(pg_dsn, home, PLUGIN_EVENTS_FILE=str(events))
    cli(env, "db", "migrate")
    app = AppProcess(env, DATA / "dags" / "plugin_dag.py", tmp_path / "app.log")
    port = free_port()
    try:
        with ServerThread(create_app(broker_config(tmp_path, pg_dsn)), port):
            url = f"http://127.0.0.1:{port}/api/v2"
            login = {"username": "admin", "password": PASSWORD.format("admin")}
            token = httpx.post(f"http://127.0.0.1:{port}/auth/token", json=login).json()["access_token"]
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
                deadline = time.monotonic() + 60
                while client.get("/dags/plugin_dag").status_code != 200:  # the app registers its DAG
                    assert time.monotonic() < deadline and app.proc.poll() is None, app.output()
                    time.sleep(0.2)
                # What the app published: the custom timetable's summary and description ...
                dag = client.get("/dags/plugin_dag").json()
                assert (dag["timetable_summary"], dag["timetable_description"]) == (
                    "every other day",
                    "At 00:00 UTC every second day",
                )
                # ... and its plugins, in Airflow's shapes.
                plugins = client.get("/plugins").json()
                assert plugins["total_entries"] == 1
                (plugin,) = plugins["plugins"]
                assert plugin["name"] == "team_plugin" and plugin["source"] == "$PLUGINS_FOLDER/team_plugin.py"
                assert plugin["timetables"] == ["team_plugin.EveryOtherDayTimetable"]
                assert plugin["macros"] == ["team_plugin.team_greeting"]
                assert plugin["listeners"] == ["team_plugin.TeamListener"]
                errors = client.get("/plugins/importErrors").json()
                assert errors["total_entries"] == 1
                assert errors["import_errors"][0]["source"] == str(home / "plugins" / "broken_plugin.py")
                assert "the broken plugin cannot be imported" in errors["import_errors"][0]["error"]

                client.patch("/dags/plugin_dag", json={"is_paused": False}).raise_for_status()
                trigger = {"logical_date": "2024-03-05T00:00:00Z", "dag_run_id": "with_plugin"}
                client.post("/dags/plugin_dag/dagRuns", json=trigger).raise_for_status()
                deadline = time.monotonic() + 90
                while (state := client.get("/dags/plugin_dag/dagRuns/with_plugin").json()["state"]) not in (
                    "success",
                    "failed",
                ):
                    assert time.monotonic() < deadline, app.output()
                    time.sleep(0.3)
                assert state == "success", app.output()
                # The custom timetable's manual interval, which only the app can compute (the broker left it empty).
                run = client.get("/dags/plugin_dag/dagRuns/with_plugin").json()
                assert (run["data_interval_start"], run["data_interval_end"]) == (
                    "2024-03-03T00:00:00Z",
                    "2024-03-05T00:00:00Z",
                )
                xcom = client.get("/dags/plugin_dag/dagRuns/with_plugin/taskInstances/greet/xcomEntries/return_value")
                assert xcom.json()["value"] == "hello riir from the team plugin"
                # Listeners: the run's start and end in the app process, the task's in its own (forked) process.
                deadline = time.monotonic() + 10
                while len(_events(events)) < 4 and time.monotonic() < deadline:
                    time.sleep(0.1)
                seen = _events(events)
                by_hook = {e["hook"]: e for e in seen}
                assert sorted(by_hook) == [
                    "on_dag_run_running",
                    "on_dag_run_success",
                    "on_task_instance_running",
                    "on_task_instance_success",
                ], seen
                assert by_hook["on_dag_run_running"]["msg"] == "started"
                assert by_hook["on_dag_run_running"]["pid"] == app.proc.pid
                assert by_hook["on_task_instance_success"]["pid"] != app.proc.pid
        # The broker ran in this process and never imported the plugin (it only read what the app published).
        assert "team_plugin" not in sys.modules
    finally:
        app.stop()


def test_priority_weight_strategy_from_a_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    from riir_airflow.operators.empty import EmptyOperator
    from riir_airflow.plugins import manager
    from riir_airflow.sdk import DAG
    from riir_airflow.serialization.serialized_dag import serialize_dag

    monkeypatch.setenv("AIRFLOW__CORE__PLUGINS_FOLDER", str(DATA / "weight_plugins"))
    manager.reset()
    try:
        (registered,) = manager.registered_priority_weight_strategies().values()
        with DAG("weights", schedule=None) as dag:
            by_instance = EmptyOperator(task_id="by_instance", weight_rule=registered())
            by_path = EmptyOperator(task_id="by_path", weight_rule="weight_plugin.TenPerTry")
        with DAG("unregistered_weight", schedule=None):
            unknown = EmptyOperator(task_id="unknown", weight_rule="nowhere.Strategy")
        # Asked when the task instance is created (try 0), as Airflow does.
        assert by_instance.priority_weight_total == by_path.priority_weight_total == 10
        with pytest.raises(ValueError, match=r"^Unknown priority strategy nowhere\.Strategy$"):
            _ = unknown.priority_weight_total
        tasks = {t["task_id"]: t for t in serialize_dag(dag)["tasks"]}
        assert tasks["by_instance"]["weight_rule"] == tasks["by_path"]["weight_rule"] == "weight_plugin.TenPerTry"
    finally:
        monkeypatch.delenv("AIRFLOW__CORE__PLUGINS_FOLDER")
        manager.reset()


def test_plugins_from_the_airflow_plugins_entry_point_group(tmp_path: Path) -> None:
    """An installed distribution's `airflow.plugins` entry point is a plugin source; a broken one is named."""
    site = tmp_path / "site"
    (site / "team_dist-1.2.dist-info").mkdir(parents=True)
    (site / "team_dist-1.2.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: team-dist\nVersion: 1.2\n")
    (site / "team_dist-1.2.dist-info" / "entry_points.txt").write_text(
        "[airflow.plugins]\nteam = team_entry:TeamEntryPlugin\nbroken = broken_entry:Nothing\n"
    )
    (site / "team_entry.py").write_text(
        "from riir_airflow.plugins_manager import AirflowPlugin\n\n\n"
        "def shout(text):\n    return text.upper()\n\n\n"
        "class TeamEntryPlugin(AirflowPlugin):\n    name = 'team_entry'\n    macros = [shout]\n"
    )
    (site / "broken_entry.py").write_text("raise ImportError('broken entry point module')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(tmp_path / "home"), PYTHONPATH=str(site))
    proc = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "plugins", "-o", "json"], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    (info,) = json.loads(proc.stdout)
    assert info["name"] == "team_entry" and info["macros"] == ["team_entry.shout"]
    assert info["source"] == (
        "team-dist==1.2: EntryPoint(name='team', value='team_entry:TeamEntryPlugin', group='airflow.plugins')"
    )
    assert "Failed to load plugin broken_entry: ImportError: broken entry point module" in proc.stderr


def test_entry_point_glance_agrees_with_importlib_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick look that spares importlib.metadata says "may" wherever importlib.metadata finds the group, and
    "no" here for a group no installed distribution declares."""
    import importlib.metadata
    import zipfile

    from riir_airflow.plugins.manager import may_declare_entry_points

    for group in ("airflow.plugins", "apache_airflow_provider", "console_scripts", "riir.no_such_group"):
        if importlib.metadata.entry_points(group=group):
            assert may_declare_entry_points(group), group
    assert not may_declare_entry_points("riir.no_such_group")
    site = tmp_path / "site"
    (site / "team_dist-1.2.dist-info").mkdir(parents=True)
    (site / "team_dist-1.2.dist-info" / "entry_points.txt").write_text("[riir.no_such_group]\nx = y:z\n")
    monkeypatch.syspath_prepend(str(site))
    assert may_declare_entry_points("riir.no_such_group")
    assert importlib.metadata.entry_points(group="riir.no_such_group")
    monkeypatch.syspath_prepend(str(tmp_path / "missing-folder"))  # skipped, as importlib.metadata skips it
    assert not may_declare_entry_points("riir.other_group")
    archive = tmp_path / "dists.zip"
    zipfile.ZipFile(archive, "w").close()
    monkeypatch.syspath_prepend(str(archive))  # not read here: counts as "may"
    assert may_declare_entry_points("riir.other_group")
