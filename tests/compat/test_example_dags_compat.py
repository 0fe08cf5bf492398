"""Airflow 3.3.2's own example DAGs (apache-airflow-core and the standard provider): the same structure for every DAG
and the same `dags test` outcome for every DAG Airflow runs deterministically offline, under riir as under Airflow.
Differences are allowed only where compat-tests/examples/cases.py lists them with the branch that removes them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "compat-tests" / "examples" / "check.py"


@pytest.mark.compat
@pytest.mark.timeout(3600)  # a cold cache runs ~95 DAGs under real Airflow (two processes, ~10 min); warm: ~1 min
def test_example_dags_match_airflow() -> None:
    proc = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True, timeout=3500)
    assert proc.returncode == 0, (
        f"Airflow's example DAGs differ under riir:\n{proc.stdout[-20000:]}\n{proc.stderr[-3000:]}"
    )
