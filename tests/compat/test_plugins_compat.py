"""A plugins folder (timetable, macro, listener, one broken plugin) and a DAG using it behave as under Airflow 3.3.2:
`plugins -o json`, the listener hooks `dags test` calls, the XComs, the broken plugin named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "compat-tests" / "plugins" / "check.py"


@pytest.mark.compat
@pytest.mark.timeout(900)  # a cold cache runs real Airflow (db migrate, plugins, dags test: about a minute)
def test_plugins_match_airflow() -> None:
    proc = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True, timeout=850)
    assert proc.returncode == 0, f"plugins differ from Airflow 3.3.2:\n{proc.stdout}\n{proc.stderr[-3000:]}"
