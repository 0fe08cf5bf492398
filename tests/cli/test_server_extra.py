"""Commands that need the `server` extra say which extra to install when it is missing (one line, exit 1)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Makes `granian` unimportable in the child, as on an install without the extra.
WITHOUT_GRANIAN = (
    "import sys; sys.modules['granian'] = None; from riir_airflow.cli.main import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.parametrize("command", ["broker", "api-server"])
def test_broker_without_the_server_extra_names_the_extra(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_GRANIAN, command], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: `riir-airflow {command}` needs the server extra (granian is not installed): "
        "pip install 'riir-airflow[server]'"
    ]
