"""One plugins folder (tests/plugins/data/plugins: a timetable, a macro, a listener, and a plugin that raises on
import) and one DAG using it, under real Airflow 3.3.2 or under riir. Prints JSON: what `plugins -o json` reports, the
listener hooks `dags test` called (in order), the run's XComs, and whether the broken plugin file was named.

    python compat-tests/plugins/sides.py airflow|riir

Airflow's side runs in the reference venv (compat_lib caches its output by the plugin and DAG files); check.py
compares the two.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "plugins" / "data"
LOGICAL_DATE = "2024-03-05T00:00:00+00:00"


def _events(path: Path) -> list[dict[str, Any]]:
    """Hook calls without what differs by process (pid) or by how the state enum prints (`TaskInstanceState.X`)."""
    out = []
    for line in path.read_text().splitlines() if path.exists() else []:
        event = json.loads(line)
        event.pop("pid", None)
        if "previous_state" in event:
            event["previous_state"] = event["previous_state"].rpartition(".")[2].lower()
        out.append(event)
    return out


def run(impl: str, tmp: Path) -> dict[str, Any]:
    home, dags = tmp / "home", tmp / "dags"
    shutil.copytree(DATA / "plugins", home / "plugins")
    dags.mkdir()
    shutil.copy(DATA / "dags" / "plugin_dag.py", dags / "plugin_dag.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__DAGS_FOLDER=str(dags), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    env["PLUGIN_EVENTS_FILE"] = str(tmp / "events.jsonl")
    if impl == "airflow":
        command = [str(Path(sys.executable).parent / "airflow")]
        subprocess.run([*command, "db", "migrate"], env=env, capture_output=True, text=True, check=True)
        test_args = ["plugin_dag", LOGICAL_DATE]
    else:
        command = [sys.executable, "-m", "riir_airflow"]
        env["RIIR_AIRFLOW_COMPAT"] = "1"
        test_args = [str(dags / "plugin_dag.py"), LOGICAL_DATE, "--save-results", str(tmp / "results.json")]
    plugins = subprocess.run([*command, "plugins", "-o", "json"], env=env, capture_output=True, text=True)
    test = subprocess.run([*command, "dags", "test", *test_args], env=env, capture_output=True, text=True)
    if test.returncode != 0:
        raise SystemExit(f"{impl}: dags test failed:\n{test.stdout[-3000:]}\n{test.stderr[-3000:]}")
    if impl == "airflow":
        con = sqlite3.connect(home / "airflow.db")
        rows = con.execute("SELECT task_id, key, value FROM xcom WHERE dag_id = 'plugin_dag'").fetchall()
        xcoms = sorted([task_id, key, json.loads(value)] for task_id, key, value in rows)
    else:
        results = json.loads((tmp / "results.json").read_text())
        xcoms = sorted([x["task_id"], x["key"], x["value"]] for x in results["xcoms"])
    return {
        "plugins": json.loads(plugins.stdout),
        "events": _events(tmp / "events.jsonl"),
        "xcoms": xcoms,
        "broken_plugin_named": "broken_plugin.py" in test.stdout + test.stderr,
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="plugins-compat-") as tmp:
        print(json.dumps(run(sys.argv[1], Path(tmp)), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
