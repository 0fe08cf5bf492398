"""Every example DAG runs: in-process with `dags test`, and the demo end to end (standalone, real apps)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.harness import env_for

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "dags"
FILES = sorted(p for p in EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_example_runs_with_dags_test(path: Path, tmp_path: Path) -> None:
    env = env_for("postgresql://unused@127.0.0.1:1/none", tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "dags", "test", str(path), "2024-05-01"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "finished: success" in result.stdout


@pytest.mark.postgres
@pytest.mark.e2e
@pytest.mark.timeout(180)
async def test_demo_runs_the_example_end_to_end(pg_dsn: str, tmp_path: Path) -> None:
    env = env_for(pg_dsn, tmp_path / "home")
    result = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "standalone", "--dags", str(EXAMPLES), "--demo", "--no-broker"],
        env=env, capture_output=True, text=True, timeout=170, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "success" in result.stdout and "load returned 91" in result.stdout
