"""Real apache-airflow in its own cached venv, never in the project's.

`python compat-tests/airflow_env.py` creates it (once) and prints the path of its python. Other compat and benchmark
scripts call `airflow_python()`. The venv lives in `$RIIR_AIRFLOW_VENV` or `~/.cache/riir-airflow/airflow-<version>`.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

AIRFLOW_VERSION = "3.3.2"
VENV = Path(os.environ.get("RIIR_AIRFLOW_VENV", Path.home() / ".cache" / "riir-airflow" / f"airflow-{AIRFLOW_VERSION}"))
READY = VENV / ".ready"


def airflow_python() -> Path:
    """Path of the reference venv's python, creating the venv first when needed."""
    if not READY.exists():
        VENV.parent.mkdir(parents=True, exist_ok=True)
        # Several test processes (xdist workers, compat scripts, a second checkout) may ask at once: one builds the
        # venv while the others wait on the lock, then find it ready.
        with open(VENV.parent / f".airflow-{AIRFLOW_VERSION}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not READY.exists():
                subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
                pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
                subprocess.run([*pip, "--upgrade", "pip"], check=True)
                subprocess.run([*pip, f"apache-airflow=={AIRFLOW_VERSION}", "croniter"], check=True)
                READY.write_text(AIRFLOW_VERSION + "\n")
    return VENV / "bin" / "python"


def airflow_env(airflow_home: Path) -> dict[str, str]:
    """Environment for running the reference Airflow against a private AIRFLOW_HOME (SQLite, no examples)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(airflow_home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        # A busy shared machine imports a heavy DAG file (the kubernetes provider's examples) in more than the
        # default 30 s; a timeout there would be reported as the file's import error.
        AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="300",
        PATH=f"{VENV / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
    )
    return env


if __name__ == "__main__":
    print(airflow_python())
