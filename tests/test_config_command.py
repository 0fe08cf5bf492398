"""`riir-airflow config get-value` and `config list`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    full.update(AIRFLOW_HOME=str(home), **env)
    return subprocess.run([str(Path(sys.executable).parent / "riir-airflow"), "config", *args], env=full,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_get_value(tmp_path: Path) -> None:
    (tmp_path / "airflow.cfg").write_text("[core]\nparallelism = 12\n")
    assert _cli(tmp_path, "get-value", "core", "parallelism").stdout == "12\n"
    assert _cli(tmp_path, "get-value", "core", "parallelism", AIRFLOW__CORE__PARALLELISM="3").stdout == "3\n"
    assert _cli(tmp_path, "get-value", "core", "dags_folder").stdout == f"{tmp_path}/dags\n"
    missing = _cli(tmp_path, "get-value", "core", "no_such_key")
    # Like Airflow: nothing on stdout, exit status 0; we say why on stderr.
    assert (missing.returncode, missing.stdout) == (0, "") and "not found in config" in missing.stderr


def test_list_hides_values_unless_asked(tmp_path: Path) -> None:
    hidden = _cli(tmp_path, "list", "--section", "core", AIRFLOW__CORE__FERNET_KEY="sekrit")
    assert "Values are hidden by default" in hidden.stderr
    assert "[core]\n" in hidden.stdout and "fernet_key = \n" in hidden.stdout and "sekrit" not in hidden.stdout
    shown = _cli(tmp_path, "list", "--section", "core", "--show-values", "--include-sources",
                 AIRFLOW__CORE__FERNET_KEY="sekrit")  # fmt: skip
    assert "fernet_key = sekrit  # source: env var" in shown.stdout
    assert "parallelism = 32  # source: default" in shown.stdout
    defaults = _cli(tmp_path, "list", "--defaults", "--show-values", AIRFLOW__CORE__PARALLELISM="5")
    assert "# parallelism = 32\n" in defaults.stdout and "[database]" in defaults.stdout
