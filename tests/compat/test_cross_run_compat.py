"""Several `dags test` runs sharing a store see each other as under Airflow 3.3.2: prev_*_success, xcom_pull with
include_prior_dates / dag_id / run_id, and depends_on_past / wait_for_downstream where nothing is held back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "compat-tests" / "cross_run" / "check.py"


@pytest.mark.compat
@pytest.mark.timeout(900)  # real Airflow: four dag.test() runs in one process, about 30 s on a quiet machine
def test_cross_run_scenario_matches_airflow() -> None:
    proc = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True, timeout=850)
    assert proc.returncode == 0, f"differs from Airflow 3.3.2:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert "identical" in proc.stdout
