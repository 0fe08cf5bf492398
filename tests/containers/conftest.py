"""A Docker daemon for the container tests: the running one, or `dockerd` started here (as root) and stopped after.

Where neither is possible the tests are skipped with the reason (the daemon is a machine facility, like the
PostgreSQL server the other tests use).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _daemon_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=30).returncode == 0


@pytest.fixture(scope="session")
def docker_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    if _daemon_answers():
        yield
        return
    dockerd = shutil.which("dockerd") or ("/usr/sbin/dockerd" if Path("/usr/sbin/dockerd").exists() else None)
    if dockerd is None or os.geteuid() != 0:
        pytest.skip("no Docker daemon here: `docker info` fails and dockerd cannot be started (not root or absent)")
    log_path = tmp_path_factory.mktemp("dockerd") / "dockerd.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([dockerd], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _daemon_answers():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"dockerd did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="session")
def python_image(docker_daemon: None) -> str:
    from tests.containers.images import ensure_python_image

    return ensure_python_image()


# The DAG app fixtures (a migrated private database, its environment, a dags folder).
from tests.app.conftest import app_env, dags, db  # noqa: E402, F401
