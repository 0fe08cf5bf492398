"""The CLI compat suite: the same scripted session through real Airflow 3.3.2's CLI and riir-airflow's, on the same
DAG folder, each on its own PostgreSQL database: same `-o json` keys, ids, states and counts; same `--help` tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "compat-tests" / "cli" / "check.py"


@pytest.mark.compat
@pytest.mark.postgres
@pytest.mark.timeout(1800)  # a cold cache runs the session through real Airflow first (a few minutes)
def test_cli_session_matches_airflow() -> None:
    proc = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True, timeout=1750)
    assert proc.returncode == 0, (
        f"CLI results differ from Airflow 3.3.2:\n{proc.stdout[-20000:]}\n{proc.stderr[-3000:]}"
    )
    assert " checks agree" in proc.stdout
