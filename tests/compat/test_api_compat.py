"""The API compat suite: real Airflow 3.3.2's api-server and riir's broker give the same statuses and shapes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "compat-tests" / "api" / "check.py"


@pytest.mark.compat
@pytest.mark.postgres
@pytest.mark.timeout(900)  # a cold cache starts real Airflow's api-server (~1-2 min)
def test_api_shapes_match_airflow() -> None:
    proc = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True, timeout=850)
    assert proc.returncode == 0, (
        f"API responses differ from Airflow 3.3.2:\n{proc.stdout[-20000:]}\n{proc.stderr[-3000:]}"
    )
