"""The structure compat suite: every corpus DAG must have the same structural facts under Airflow 3.3.2 and riir."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "compat-tests" / "structure" / "check.py"


@pytest.mark.compat
@pytest.mark.timeout(1800)  # the first run installs / starts real Airflow; later runs read its cached facts
def test_structure_matches_airflow() -> None:
    proc = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True, timeout=1700)
    assert proc.returncode == 0, f"structural facts differ from Airflow 3.3.2:\n{proc.stdout}\n{proc.stderr[-3000:]}"
