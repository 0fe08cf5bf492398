"""`dags test` of a DAG with a human-in-the-loop task behaves as Airflow 3.3.2's: the other tasks run, the HITL task
parks in awaiting_input, and the command keeps waiting, saying which tasks wait for input (nothing in a
`dags test` process can answer: a person answers through the broker under the app, tests/broker/test_hitl.py)."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.app.harness import env_for

DAG = """
import datetime
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.hitl import HITLOperator

with DAG("hitl_wait", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    @task
    def before():
        print("BEFORE RAN")
        return 1

    before() >> HITLOperator(task_id="ask", subject="Go?", options=["Yes", "No"])
"""
WAITING = "Waiting for Human-in-the-loop input for tasks: ['ask']"


def _output_until(cmd: list[str], env: dict[str, str], needle: str, timeout: float) -> tuple[str, bool]:
    """Runs `cmd` until `needle` shows in its output (or timeout); returns the output and whether it still runs."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while needle.encode() not in output and time.monotonic() < deadline:
            if selector.select(timeout=0.5):
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                output += chunk
        time.sleep(1.5)  # still waiting a moment later
        return output.decode(errors="replace"), proc.poll() is None
    finally:
        selector.close()
        os.killpg(proc.pid, 9)
        proc.wait(10)
        proc.stdout.close()


def test_dags_test_waits_for_human_input(tmp_path: Path) -> None:
    path = tmp_path / "hitl_wait.py"
    path.write_text(DAG)
    env = env_for("postgresql://unused@127.0.0.1:1/none", tmp_path)
    cmd = [sys.executable, "-m", "riir_airflow", "dags", "test", str(path), "2024-03-05"]
    output, running = _output_until(cmd, env, WAITING, 60)
    assert WAITING in output and "BEFORE RAN" in output and running, output


@pytest.mark.compat
@pytest.mark.timeout(240)
def test_airflow_dags_test_waits_the_same_way(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "compat-tests"))
    from airflow_env import airflow_env, airflow_python

    home = tmp_path / "airflow-home"
    (home / "dags").mkdir(parents=True)
    (home / "dags" / "hitl_wait.py").write_text(DAG)
    env = airflow_env(home)
    python = str(airflow_python())
    subprocess.run([python, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True, timeout=180)
    cmd = [python, "-m", "airflow", "dags", "test", "hitl_wait", "2024-03-05"]
    output, running = _output_until(cmd, env, WAITING, 150)
    assert WAITING in output and "BEFORE RAN" in output and running, output[-3000:]
