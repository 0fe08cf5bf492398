"""Runs scenario.py under real Airflow 3.3.2 and under riir and compares what the tasks saw of earlier runs.

Usage: python compat-tests/cross_run/check.py   (exit 1 on a difference). Airflow's side runs in a fresh
AIRFLOW_HOME holding a copy of the behaviour suite's migrated SQLite database; riir's side needs no database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "behaviour"))

from airflow_env import VENV, airflow_env  # noqa: E402
from airflow_side import base_database  # noqa: E402


def run_side(side: str, work: Path) -> dict[str, object]:
    out, seen = work / f"{side}.json", work / f"{side}.seen"
    if side == "airflow":
        home = work / "home"
        home.mkdir()
        shutil.copy(base_database(), home / "airflow.db")
        env = {**airflow_env(home), "AIRFLOW__CORE__DAGS_FOLDER": str(HERE)}
        python = str(VENV / "bin" / "python")
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env["RIIR_AIRFLOW_COMPAT"] = "1"
        python = sys.executable
    env["XRUN_SEEN"] = str(seen)
    proc = subprocess.run(
        [python, str(HERE / "scenario.py"), side, str(out)], env=env, capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        raise SystemExit(f"{side} side failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    result: dict[str, object] = json.loads(out.read_text())
    return result


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="riir-xrun-") as tmp:
        work = Path(tmp)
        airflow, riir = run_side("airflow", work), run_side("riir", work)
    if airflow == riir:
        print(f"cross-run scenario identical: {len(riir['seen'])} task observations, runs {riir['run_states']}")  # type: ignore[arg-type]
        return 0
    print("cross-run scenario differs from Airflow 3.3.2:")
    print("airflow:", json.dumps(airflow, indent=1, sort_keys=True))
    print("riir:   ", json.dumps(riir, indent=1, sort_keys=True))
    return 1


if __name__ == "__main__":
    sys.exit(main())
