"""The matrix providers' own example DAGs (those that need no outside network) have the same structure and end
identically under Airflow 3.3.2 and riir's `dags test`, against local servers (compat-tests/providers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "compat-tests" / "providers" / "check.py"


@pytest.mark.compat
@pytest.mark.postgres
@pytest.mark.timeout(3600)  # a cold cache runs every example under real Airflow (~20 s each)
def test_provider_examples_match_airflow() -> None:
    proc = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True, timeout=3500)
    assert proc.returncode == 0, (
        f"provider examples differ from Airflow 3.3.2:\n{proc.stdout[-20000:]}\n{proc.stderr[-3000:]}"
    )
    assert proc.stdout.count(": same (") >= 15, proc.stdout
