"""`riir-airflow broker` serves with granian (default) or uvicorn, and stops gracefully on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.broker.conftest import free_port, prepare_database

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


def child_pids(pid: int) -> list[int]:
    """The direct children of a process, from /proc."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


@pytest.mark.parametrize(("server", "workers"), [("granian", 2), ("uvicorn", 2), ("granian", 1)])
async def test_serves_and_stops_on_sigterm(pg_dsn: str, tmp_path: Path, server: str, workers: int) -> None:
    await prepare_database(pg_dsn)
    (tmp_path / "pw.json").write_text(json.dumps({"admin": "pw"}))
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_dsn,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(tmp_path / "pw.json"),
    }
    command = [sys.executable, "-m", "riir_airflow.cli.main", "broker", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--server", server, "--grace", "5"]  # fmt: skip
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        # The first request outside health builds the full API (imports FastAPI): seconds on a loaded machine.
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/api/v2/version", timeout=60).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            output = proc.stdout.read().decode() if proc.stdout and proc.poll() is not None else ""
            assert proc.poll() is None and time.monotonic() < deadline, output
            time.sleep(0.2)
        if workers == 1:
            # One worker is served in the broker's own process: no supervising master with a forked worker.
            assert child_pids(proc.pid) == []
            # ... which never loaded the optional extras granian's package imports when installed (watchfiles'
            # native module is the visible one), even once the full API is built.
            assert "_rust_notify" not in Path(f"/proc/{proc.pid}/maps").read_text()
        # Tokens from one worker verify in the other: the command shares one JWT secret between them. (Each worker
        # builds the full API on its first request: seconds on a loaded machine, hence the long timeouts.)
        token = httpx.post(f"{url}/auth/token", json={"username": "admin", "password": "pw"}, timeout=60).json()[
            "access_token"
        ]
        for _ in range(6):
            dags = httpx.get(f"{url}/api/v2/dags", headers={"Authorization": f"Bearer {token}"}, timeout=60)
            assert dags.status_code == 200 and dags.json()["total_entries"] == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


async def test_refuses_an_unmigrated_metastore(pg_dsn: str, tmp_path: Path) -> None:
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_dsn}
    command = [sys.executable, "-m", "riir_airflow.cli.main", "broker", "--port", str(free_port())]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "pending migration(s): run `riir-airflow db migrate` first" in result.stderr


def test_modules_are_absent_only_inside_the_block() -> None:
    """`_absent` (how the one-worker broker imports granian without its unused extras): inside, an import of a
    module not yet imported fails as if it were not installed; afterwards it imports as usual, and a module that was
    already imported is left alone."""
    from riir_airflow.cli.broker_command import _absent

    saved = sys.modules.pop("colorsys", None)
    try:
        with _absent(("colorsys", "json")):
            with pytest.raises(ImportError):
                import colorsys
            import json as already  # imported before the block: untouched

            assert already is json
        import colorsys

        assert colorsys.rgb_to_hsv(1.0, 0.0, 0.0)[0] == 0.0
    finally:
        if saved is not None:
            sys.modules["colorsys"] = saved
