"""Timetables and backfill plans must match real Airflow 3.3.2 exactly (compat-tests/timetables)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "compat-tests" / "timetables" / "check.py"


@pytest.mark.compat
@pytest.mark.timeout(3600)  # the first run generates Airflow's tables (cached in compat-tests/.cache afterwards)
def test_timetables_and_backfills_match_airflow() -> None:
    proc = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True, timeout=3500)
    summary = proc.stdout.strip().splitlines()[-1:] if proc.stdout else []
    assert proc.returncode == 0, f"schedules differ from Airflow 3.3.2:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    # The checker compared real tables: hundreds of cases, 500 steps each where the timetable keeps going.
    assert summary and "0 differences" in summary[0], summary
