"""Providers' `config:` sections (provider.yaml) are visible through `conf` and `config list` as in Airflow 3.3.2: for
every provider installed in both venvs, each option resolves to the same default, and `config list --section`
prints the same lines."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DUMP = ROOT / "compat-tests" / "provider_config" / "dump.py"
sys.path.insert(0, str(ROOT / "compat-tests"))


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    return {**env, "AIRFLOW_HOME": str(home), "PYTHONWARNINGS": "ignore"}


@pytest.mark.compat
@pytest.mark.timeout(600)
def test_provider_config_sections_match_airflow(tmp_path: Path) -> None:
    from airflow_env import airflow_python

    python = airflow_python()
    # The reference venv gets the project venv's postgres provider (as the provider-example suite installs it).
    pinned = f"apache-airflow-providers-postgres=={importlib.metadata.version('apache-airflow-providers-postgres')}"
    subprocess.run([str(python), "-m", "pip", "install", "-q", pinned], check=True, timeout=600)
    (tmp_path / "a").mkdir()
    (tmp_path / "r").mkdir()
    airflow = subprocess.run([str(python), str(DUMP)], env=_clean_env(tmp_path / "a"), capture_output=True,
                             text=True, timeout=300, check=True)  # fmt: skip
    riir = subprocess.run([sys.executable, str(DUMP), "--riir"], env=_clean_env(tmp_path / "r"), capture_output=True,
                          text=True, timeout=300, check=True)  # fmt: skip
    theirs, ours = json.loads(airflow.stdout), json.loads(riir.stdout)
    both = sorted(set(theirs["providers"]) & set(ours["providers"]))
    assert "apache-airflow-providers-postgres" in both, (theirs["providers"], ours["providers"])
    sections = sorted(set(theirs["values"]) & set(ours["values"]))
    assert "postgres" in sections
    for section in sections:
        assert ours["values"][section] == theirs["values"][section], section

    def listing(cmd: list[str], home: Path) -> list[str]:
        out = subprocess.run([*cmd, "config", "list", "--section", "postgres", "--show-values"], env=_clean_env(home),
                             capture_output=True, text=True, timeout=300, check=True).stdout  # fmt: skip
        return [line for line in out.splitlines() if line.strip()]

    airflow_cli = [str(Path(python).parent / "airflow")]
    riir_cli = [sys.executable, "-m", "riir_airflow"]
    assert listing(riir_cli, tmp_path / "r") == listing(airflow_cli, tmp_path / "a")
