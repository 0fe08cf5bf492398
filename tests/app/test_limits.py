"""Resource limits of task processes: a memory hog, a fork bomb and a task that ignores its timeout's signals each
fail their own try; a victim DAG's run beside them finishes."""

from __future__ import annotations

import time
from pathlib import Path

import asyncpg
import pytest

from riir_airflow.app.limits import _pids_hierarchies
from tests.app.harness import cli, start_app, task_states, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

HOSTILE = """
import datetime, os, signal, time
from airflow.sdk import DAG, task

with DAG("hostile_tasks", schedule=None, default_args={"retries": 0}):
    @task(resources={"ram": 200})
    def memory_hog():
        hoard = []
        while True:
            hoard.append(bytearray(50 * 1024 * 1024))

    @task
    def fork_bomb():
        for _ in range(400):  # bounded, so a machine without a pids cgroup survives the test too
            if os.fork() == 0:
                time.sleep(120)
                os._exit(0)

    @task(execution_timeout=datetime.timedelta(seconds=1))
    def ignores_its_timeout():
        for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        os.setsid()  # leaves the process group the app signals; the cgroup still holds it
        time.sleep(600)

    @task(resources={"ram": 200})
    def within_limits():
        return len(bytearray(50 * 1024 * 1024))

    memory_hog()
    fork_bomb()
    ignores_its_timeout()
    within_limits()
"""

VICTIM = """
from airflow.sdk import DAG, task

with DAG("bystander", schedule=None):
    @task
    def work():
        return sum(range(1000))

    work()
"""


async def test_limits_fail_only_the_hostile_tries(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    env = {**app_env, "AIRFLOW__RIIR__TASK_MAX_PROCESSES": "64"}
    hostile = await start_app(env, db, write_dag(dags, "hostile.py", HOSTILE), tmp_path / "hostile.log")
    victim = await start_app(env, db, write_dag(dags, "victim.py", VICTIM), tmp_path / "victim.log")
    try:
        cli(env, "dags", "trigger", "hostile_tasks", "-r", "h1")
        cli(env, "dags", "trigger", "bystander", "-r", "v1")
        assert await wait_run_done(db, "bystander", "v1", timeout=60) == "success", victim.output()
        started = time.monotonic()
        try:
            done = await wait_run_done(db, "hostile_tasks", "h1", timeout=60)
        except AssertionError as err:
            raise AssertionError(f"{err}: {await task_states(db, 'hostile_tasks', 'h1')}") from None
        assert done == "failed", hostile.output()
        states = await task_states(db, "hostile_tasks", "h1")
        assert {task: state for task, (state, _) in states.items()} == {
            "memory_hog": "failed", "fork_bomb": "failed", "ignores_its_timeout": "failed", "within_limits": "success",
        }, hostile.output()  # fmt: skip
        assert time.monotonic() - started < 60
        logs = await db.fetch("SELECT task_id, line FROM task_log WHERE dag_id = 'hostile_tasks'")
        text = {row["task_id"]: "" for row in logs}
        for row in logs:
            text[row["task_id"]] += row["line"] + "\n"
        assert "MemoryError" in text["memory_hog"]
        assert "BlockingIOError" in text["fork_bomb"] or "Resource temporarily unavailable" in text["fork_bomb"]
    finally:
        hostile.stop()
        victim.stop()
    # Nothing of the hostile tries is left running: their cgroups were emptied and removed. (The app was killed
    # with its spare task process waiting: the spare sees its channel close and removes its own cgroup as it goes.)
    mine = f"try-{hostile.proc.pid}-"

    def leftovers() -> list[Path]:
        return [p for root, _ in _pids_hierarchies() if (root / "riir-airflow").exists()
                for p in (root / "riir-airflow").iterdir() if p.name.startswith(mine)]  # fmt: skip

    deadline = time.monotonic() + 5
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers() == []


@pytest.mark.parametrize(
    ("source", "timeout", "expected_code", "message"),
    [
        ("hoard = []\nwhile True:\n    hoard.append(bytearray(100 * 1024 * 1024))\n", "30", 1, "MemoryError"),
        ("import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(600)\n", "2", 3,
         "did not finish importing within 2s"),
    ],
    ids=["allocates-without-bound", "hangs-ignoring-the-timeout"],
)  # fmt: skip
def test_a_dag_file_that_misbehaves_at_import_fails_its_own_start(
    app_env: dict[str, str], dags: Path, source: str, timeout: str, expected_code: int, message: str
) -> None:
    path = write_dag(dags, "bad_import.py", "from airflow.sdk import DAG\n" + source)
    env = {
        **app_env,
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": timeout,
        "AIRFLOW__RIIR__DAG_IMPORT_MEMORY_LIMIT_MB": "300",
    }
    started = time.monotonic()
    done = cli(env, "app", str(path), check=False)
    assert done.returncode == expected_code, done.stderr
    assert message in done.stderr and str(path) in done.stderr
    assert time.monotonic() - started < 30
