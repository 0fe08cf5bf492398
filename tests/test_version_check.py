"""Importing riir_airflow with an extension built from another version fails with a clear ImportError."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import riir_airflow
import riir_airflow._core

ROOT = Path(__file__).resolve().parents[1]


def test_python_version_matches_cargo_workspace_version() -> None:
    cargo = (ROOT / "Cargo.toml").read_text()
    match = re.search(r'^version = "([^"]+)"', cargo, re.MULTILINE)
    assert match, "Cargo.toml has no workspace version"
    assert riir_airflow.__version__ == match.group(1) == riir_airflow._core.__version__


def test_stale_extension_gives_clear_import_error(tmp_path: Path) -> None:
    # Copy the installed package, then pretend the Python side moved on to a new version without a rebuild.
    package = Path(riir_airflow.__file__).parent
    copy = tmp_path / "riir_airflow"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "_version.py").write_text('__version__ = "99.0.0"\n')
    result = subprocess.run(
        [sys.executable, "-c", "import riir_airflow"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ImportError: riir_airflow._core is stale" in result.stderr
    assert "built from version 0.1.0" in result.stderr
    assert "make build-dev" in result.stderr
