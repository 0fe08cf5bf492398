"""The behaviour compat suite: every behaviour DAG must end identically under Airflow 3.3.2 and riir's `dags test`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "compat-tests" / "behaviour" / "check.py"


@pytest.mark.compat
@pytest.mark.timeout(3600)  # a cold cache runs every DAG under real Airflow (~20-40 s each, two at a time)
def test_behaviour_matches_airflow() -> None:
    proc = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True, timeout=3500)
    assert proc.returncode == 0, f"behaviour differs from Airflow 3.3.2:\n{proc.stdout[-20000:]}\n{proc.stderr[-3000:]}"
