"""The scheduler compat suite: multi-run scenarios under real Airflow 3.3.2's scheduler (LocalExecutor on PostgreSQL)
and under riir's broker + DAG apps end alike, or differ only as compat-tests/scheduler/check.py's ALLOWED list says;
the same DAGs through `dags test` on both sides (compat-tests/scheduler/dags_test_check.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parents[2] / "compat-tests" / "scheduler"


@pytest.mark.compat
@pytest.mark.postgres
@pytest.mark.timeout(5400)  # a cold cache runs every scenario under real Airflow first (~10-20 min on 2 busy cores)
def test_scheduler_scenarios_match_airflow() -> None:
    proc = subprocess.run([sys.executable, str(SUITE / "check.py")], capture_output=True, text=True, timeout=5300)
    assert proc.returncode == 0, (
        f"scheduler scenarios differ from Airflow 3.3.2:\n{proc.stdout[-20000:]}\n{proc.stderr[-3000:]}"
    )
    assert "scenarios agree or differ as allowed" in proc.stdout


@pytest.mark.compat
@pytest.mark.timeout(3600)  # a cold cache runs `airflow dags test` for each DAG (~20-40 s each, two at a time)
def test_scheduler_dags_under_dags_test_match_airflow() -> None:
    proc = subprocess.run([sys.executable, str(SUITE / "dags_test_check.py")], capture_output=True, text=True,
                          timeout=3500)  # fmt: skip
    assert proc.returncode == 0, (
        f"`dags test` differs from Airflow 3.3.2:\n{proc.stdout[-20000:]}\n{proc.stderr[-3000:]}"
    )
    assert "DAGs agree or differ as allowed" in proc.stdout
