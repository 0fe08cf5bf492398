"""kill -9 of a DAG app at the points where work could be lost: while it holds the DAG's lock with a standby
waiting, during a sensor's reschedule, and at arbitrary moments of a busy chain (claims and result writes).
Nothing is lost, and nothing runs twice beyond Airflow's at-least-once promise (a try that was running when its app
died is retried per its `retries`)."""

from __future__ import annotations

import asyncio
import itertools
import random
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, cli, start_app, task_states, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(180)]


async def test_standby_takes_over_a_running_try_when_the_app_is_killed(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    path = write_dag(
        dags,
        "takeover.py",
        f"""
        import os, time
        from datetime import timedelta
        from airflow.sdk import DAG, task

        with DAG("takeover", schedule=None, default_args={{"retries": 1, "retry_delay": timedelta(0)}}):
            @task
            def first():
                open("{marks}/first-" + str(os.getpid()), "w").close()
                return 1

            @task
            def slow(x):
                open("{marks}/slow-" + str(os.getpid()), "w").close()
                time.sleep(4)
                return x + 1

            slow(first())
        """,
    )
    active = await start_app(app_env, db, path, tmp_path / "active.log")
    standby = await start_app(app_env, db, path, tmp_path / "standby.log")
    try:
        await wait_for(lambda: _logged(standby, "waiting as a standby"), 30, "the standby to wait")
        cli(app_env, "dags", "trigger", "takeover", "-r", "r1")
        await wait_for(lambda: _files(marks, "slow-"), 60, "the slow task to start")
        active.kill()  # SIGKILL: no drain, no hand-back; the session connection dies with the process
        assert await wait_run_done(db, "takeover", "r1", timeout=90) == "success", standby.output()
        states = await task_states(db, "takeover", "r1")
        assert states == {"first": ("success", 1), "slow": ("success", 2)}
        assert len(await _files(marks, "first-")) == 1  # a finished try never runs again
        assert len(await _files(marks, "slow-")) == 2  # the try that was running is retried (retries=1)
        assert await db.fetchval("SELECT value FROM xcom WHERE dag_id = 'takeover' AND task_id = 'slow'") == "2"
        token = await db.fetchval("SELECT fencing_token FROM dag_schedule_lease WHERE dag_id = 'takeover'")
        assert token == 2  # the standby's tenure is a new one
    finally:
        active.stop()
        standby.stop()


async def test_a_sensor_reschedule_survives_a_killed_app(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    pokes = tmp_path / "pokes"
    path = write_dag(
        dags,
        "resched.py",
        f"""
        import time
        from airflow.sdk import DAG
        from airflow.providers.standard.sensors.python import PythonSensor

        def poke(task_reschedule_count):
            with open("{pokes}", "a") as out:
                out.write(f"{{time.time()}} {{task_reschedule_count}}\\n")
            return len(open("{pokes}").read().splitlines()) >= 3

        with DAG("resched", schedule=None):
            PythonSensor(task_id="wait", python_callable=poke, mode="reschedule", poke_interval=4)
        """,
    )
    app = await start_app(app_env, db, path, tmp_path / "app1.log")
    try:
        cli(app_env, "dags", "trigger", "resched", "-r", "r1")

        async def rescheduled() -> bool:
            return bool(await db.fetchval("SELECT count(*) FROM task_reschedule WHERE dag_id = 'resched'"))

        await wait_for(rescheduled, 60, "the first reschedule")
        app.kill()
    finally:
        app.stop()
    states = await task_states(db, "resched", "r1")
    assert states["wait"][0] == "up_for_reschedule"
    app = await start_app(app_env, db, path, tmp_path / "app2.log")
    try:
        assert await wait_run_done(db, "resched", "r1", timeout=60) == "success", app.output()
    finally:
        app.stop()
    lines = [line.split() for line in pokes.read_text().splitlines()]
    times = [float(when) for when, _ in lines]
    assert [int(count) for _, count in lines] == [0, 1, 2]  # task_reschedule_count, kept across the restart
    # The restarted app waited for the stored reschedule date instead of poking at once.
    assert all(later - earlier >= 3.5 for earlier, later in itertools.pairwise(times))
    assert await db.fetchval("SELECT count(*) FROM task_reschedule WHERE dag_id = 'resched'") == 2
    assert await task_states(db, "resched", "r1") == {"wait": ("success", 1)}


@pytest.mark.timeout(300)
async def test_kill9_at_random_moments_of_a_busy_chain_loses_nothing(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    """Kills hit claims, task starts and result writes alike; after each restart the chain goes on, and in the
    end every task succeeded once (or twice, when its try was running at the kill) and every XCom is there."""
    runs = tmp_path / "runs"
    runs.mkdir()
    length = 30
    path = write_dag(
        dags,
        "busy.py",
        f"""
        import os
        from datetime import timedelta
        from airflow.sdk import DAG, task

        with DAG("busy", schedule=None, default_args={{"retries": 3, "retry_delay": timedelta(0)}}):
            previous = None
            for n in range({length}):
                @task(task_id=f"t{{n}}")
                def step(x=None, n=n):
                    open(f"{runs}/t{{n}}-{{os.getpid()}}", "w").close()
                    return n

                previous = step(previous) if previous is not None else step()
        """,
    )
    rng = random.Random(14)
    app = await start_app(app_env, db, path, tmp_path / "app0.log")
    apps = [app]
    try:
        cli(app_env, "dags", "trigger", "busy", "-r", "r1")
        for kill in range(4):
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            app.kill()
            app = await start_app(app_env, db, path, tmp_path / f"app{kill + 1}.log")
            apps.append(app)
        assert await wait_run_done(db, "busy", "r1", timeout=120) == "success", app.output()
    finally:
        for each in apps:
            each.stop()
    states = await task_states(db, "busy", "r1")
    assert {state for state, _ in states.values()} == {"success"}
    values = await db.fetch("SELECT task_id, value FROM xcom WHERE dag_id = 'busy' AND key = 'return_value'")
    assert sorted((r["task_id"], r["value"]) for r in values) == sorted((f"t{n}", str(n)) for n in range(length))
    for n in range(length):
        started = len(list(runs.glob(f"t{n}-*")))
        # At least once; twice only when the kill found the try running (then its try number says so).
        assert 1 <= started <= states[f"t{n}"][1], (n, started, states[f"t{n}"])


async def _files(folder: Path, prefix: str) -> list[Path]:
    return sorted(folder.glob(f"{prefix}*"))


async def _logged(app: AppProcess, text: str) -> bool:
    return text in app.output()


async def test_a_running_try_without_a_process_is_retried_after_the_heartbeat_timeout(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    """A try marked running that no process of the app runs (its app died without a trace) is found by its old
    heartbeat (`[scheduler] task_instance_heartbeat_timeout`) and retried per its retries."""
    from riir_airflow.metastore import queries
    from riir_airflow.metastore.pool import connect, settings_from_config
    from riir_airflow.metastore.records import NewTaskInstance

    path = write_dag(
        dags,
        "stale.py",
        """
        from datetime import timedelta
        from airflow.sdk import DAG, task

        with DAG("stale", schedule=None):
            @task(retries=1, retry_delay=timedelta(0))
            def t():
                return "ran"

            t()
        """,
    )
    env = {
        **app_env,
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "2",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "0.5",
    }
    app = await start_app(env, db, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: _logged(app, "running stale"), 30, "the app to run")
        conn = await connect(settings_from_config(dsn=app_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]))
        try:
            async with conn.transaction():  # the app sees the run only with its try already "running"
                await queries.create_dag_run(
                    conn, "stale", "r1", run_type="manual", tasks=[NewTaskInstance("t", max_tries=1)],
                    state="running",
                )  # fmt: skip
                await conn.execute(
                    "UPDATE task_instance SET state = 'running', try_number = 1, app_id = 'gone', hostname = 'gone', "
                    "start_date = now() - interval '1 hour', last_heartbeat_at = now() - interval '1 hour' "
                    "WHERE dag_id = 'stale'"
                )
        finally:
            await conn.close()
        assert await wait_run_done(db, "stale", "r1", timeout=60) == "success", app.output()
        assert await task_states(db, "stale", "r1") == {"t": ("success", 2)}
        assert "Heartbeat timeout: stale.t[-1] try 1 as up_for_retry" in app.output()
    finally:
        app.stop()
