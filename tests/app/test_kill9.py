"""kill -9 of a DAG app at the points where work could be lost: during a claim, after a try was marked running but
before its process started, during a result write, while it holds the DAG's lock with a standby waiting, and during
a sensor's reschedule — each exactly there: the app stops itself at the point (app/stop_points.py, SIGSTOP, its
transaction still open) and the test kills it with SIGKILL. Also at arbitrary moments of a busy chain.
Nothing is lost, and nothing runs twice beyond Airflow's at-least-once promise (a try that was running when its app
died is retried per its `retries`)."""

from __future__ import annotations

import asyncio
import itertools
import random
from pathlib import Path

import asyncpg
import pytest

from riir_airflow.app.stop_points import ENV as STOP_AT
from tests.app.harness import AppProcess, cli, run_state, start_app, task_states, wait_for, wait_run_done, write_dag

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
                open("{marks}/first-" + os.readlink("/proc/self"), "w").close()  # the real pid: unique
                return 1

            @task
            def slow(x):
                first_try = not any(name.startswith("slow-") for name in os.listdir("{marks}"))
                open("{marks}/slow-" + os.readlink("/proc/self"), "w").close()
                while first_try:  # try 1 runs until its app is killed (then the app that takes over ends it)
                    time.sleep(1)
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
        assert await task_states(db, "takeover", "r1") == {"first": ("success", 1), "slow": ("running", 1)}
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
    # Long enough that four lives of the app fit in it on a fast machine (a try and its hand-over take a few ms).
    length = 120
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
                    open(f"{runs}/t{{n}}-{{os.readlink('/proc/self')}}", "w").close()
                    return n

                previous = step(previous) if previous is not None else step()
        """,
    )
    rng = random.Random(14)
    app = await start_app(app_env, db, path, tmp_path / "app0.log")
    apps = [app]
    try:
        cli(app_env, "dags", "trigger", "busy", "-r", "r1")
        done = 0
        kills_mid_run = 0
        for kill in range(4):
            # Each life of the app finishes a task before it is killed (at a random moment after that): a slow
            # start-up on a loaded machine must not let every kill hit the same try until its retries run out.
            done = await wait_for(lambda done=done: _successes_beyond(db, "busy", done), 60, "a task to finish")
            await asyncio.sleep(rng.uniform(0.0, 0.4))
            if await run_state(db, "busy", "r1") == "success":
                break  # (a fast machine finished the chain: nothing left to kill)
            app.kill()
            kills_mid_run += 1
            app = await start_app(app_env, db, path, tmp_path / f"app{kill + 1}.log")
            apps.append(app)
        assert await wait_run_done(db, "busy", "r1", timeout=120) == "success", app.output()
        assert kills_mid_run >= 2, "the chain ended before the kills: make it longer"
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


async def _successes_beyond(db: asyncpg.Connection, dag_id: str, count: int) -> int:
    """The number of successful task instances of the DAG if it is more than `count`, else 0."""
    done = int(await db.fetchval("SELECT count(*) FROM task_instance WHERE dag_id = $1 AND state = 'success'", dag_id))
    return done if done > count else 0


async def _stopped(app: AppProcess) -> bool:
    """True once the app has stopped itself at its stop point (process state T in /proc)."""
    if app.proc.poll() is not None:
        raise AssertionError(f"the app exited ({app.proc.returncode}) before its stop point:\n{app.output()}")
    stat = Path(f"/proc/{app.proc.pid}/stat").read_text()
    return stat.rpartition(")")[2].split()[0] == "T"


async def _start_at(point: str, app_env: dict[str, str], db: asyncpg.Connection, path: Path, log: Path) -> AppProcess:
    """An app that stops itself at `point` (see riir_airflow.app.stop_points)."""
    return await start_app({**app_env, STOP_AT: point}, db, path, log)


def _chain(marks: Path, dag_id: str, length: int, retries: int) -> str:
    """A chain t0 >> t1 >> ...; each try leaves a mark `tN-PID` and returns N."""
    return f"""
        import os
        from datetime import timedelta
        from airflow.sdk import DAG, task

        with DAG("{dag_id}", schedule=None, default_args={{"retries": {retries}, "retry_delay": timedelta(0)}}):
            previous = None
            for n in range({length}):
                @task(task_id=f"t{{n}}")
                def step(x=None, n=n):
                    open(f"{marks}/t{{n}}-{{os.readlink('/proc/self')}}", "w").close()
                    return n

                previous = step(previous) if previous is not None else step()
        """


async def _xcoms(db: asyncpg.Connection, dag_id: str) -> dict[str, str]:
    rows = await db.fetch("SELECT task_id, value FROM xcom WHERE dag_id = $1 AND key = 'return_value'", dag_id)
    return {r["task_id"]: r["value"] for r in rows}


async def test_kill9_during_a_claim_with_a_standby_waiting(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    """The active app dies inside its claim transaction (tries taken, not committed) while a standby waits. While
    it hangs, holding its lock, the standby does nothing; once it is dead the claim is rolled back, the standby takes
    over with a new fencing token and claims the same tries: each task runs once, and no try was spent."""
    marks = tmp_path / "marks"
    marks.mkdir()
    path = write_dag(dags, "claimed.py", _chain(marks, "claimed", 3, retries=0))
    active = await _start_at("claim:2", app_env, db, path, tmp_path / "active.log")  # the claim of t1
    standby = None
    try:
        await wait_for(lambda: _logged(active, "running claimed"), 30, "the active app to take the lock")
        standby = await start_app(app_env, db, path, tmp_path / "standby.log")
        await wait_for(lambda: _logged(standby, "waiting as a standby"), 30, "the standby to wait")
        cli(app_env, "dags", "trigger", "claimed", "-r", "r1")
        await wait_for(lambda: _stopped(active), 60, "the active app to stop inside its claim")
        # The uncommitted claim is invisible: t1 has not even been scheduled (the planner's move to scheduled commits
        # with the claim, in one statement); the hung app still holds the DAG.
        assert await task_states(db, "claimed", "r1") == {
            "t0": ("success", 1), "t1": (None, 0), "t2": (None, 0)
        }  # fmt: skip
        assert await db.fetchval("SELECT fencing_token FROM dag_schedule_lease WHERE dag_id = 'claimed'") == 1
        assert "Scheduling claimed" not in standby.output()
        active.kill()
        assert await wait_run_done(db, "claimed", "r1", timeout=90) == "success", standby.output()
        assert await task_states(db, "claimed", "r1") == {
            "t0": ("success", 1), "t1": ("success", 1), "t2": ("success", 1)
        }  # fmt: skip
        for n in range(3):
            assert len(await _files(marks, f"t{n}-")) == 1, n  # each ran exactly once
        assert await _xcoms(db, "claimed") == {"t0": "0", "t1": "1", "t2": "2"}
        assert await db.fetchval("SELECT fencing_token FROM dag_schedule_lease WHERE dag_id = 'claimed'") == 2
    finally:
        active.stop()
        if standby is not None:
            standby.stop()


@pytest.mark.parametrize(
    ("point", "runs_of_t1"),
    [
        ("start", 1),  # marked running, never forked: the try is spent (at-least-once counts tries), runs once
        ("result", 2),  # ran and finished, its result uncommitted: the result is lost with the app, so it runs again
    ],
)
async def test_kill9_between_claim_and_result_retries_the_try(
    point: str, runs_of_t1: int, app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    """The app dies with t1's try marked running: before its process started, or inside the transaction that
    records its result and XCom. The restarted app finds the try without a process and retries it per its
    retries; the run finishes with every XCom, and t0's recorded success is never run again."""
    marks = tmp_path / "marks"
    marks.mkdir()
    path = write_dag(dags, "hop.py", _chain(marks, "hop", 3, retries=1))
    app = await _start_at(f"{point}:2", app_env, db, path, tmp_path / "app1.log")  # t1's (t0's is the first)
    try:
        cli(app_env, "dags", "trigger", "hop", "-r", "r1")
        await wait_for(lambda: _stopped(app), 60, f"the app to stop at {point}")
        assert await task_states(db, "hop", "r1") == {"t0": ("success", 1), "t1": ("running", 1), "t2": (None, 0)}
        assert await _xcoms(db, "hop") == {"t0": "0"}
        app.kill()
    finally:
        app.stop()
    assert len(await _files(marks, "t1-")) == runs_of_t1 - 1
    restarted = await start_app(app_env, db, path, tmp_path / "app2.log")
    try:
        assert await wait_run_done(db, "hop", "r1", timeout=90) == "success", restarted.output()
    finally:
        restarted.stop()
    assert "Recovered hop.t1[-1] try 1 as up_for_retry" in restarted.output()
    assert await task_states(db, "hop", "r1") == {"t0": ("success", 1), "t1": ("success", 2), "t2": ("success", 1)}
    assert [len(await _files(marks, f"t{n}-")) for n in range(3)] == [1, runs_of_t1, 1]
    assert await _xcoms(db, "hop") == {"t0": "0", "t1": "1", "t2": "2"}


async def test_kill9_during_a_sensor_reschedule_with_a_standby_waiting(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    """The app dies inside the transaction that records a sensor's reschedule (up_for_reschedule and the
    task_reschedule row, uncommitted). The standby takes over, retries the try (retries=1) and the sensor goes
    on poking until it succeeds; only committed reschedules are counted."""
    pokes = tmp_path / "pokes"
    path = write_dag(
        dags,
        "sense.py",
        f"""
        from datetime import timedelta
        from airflow.sdk import DAG
        from airflow.providers.standard.sensors.python import PythonSensor

        def poke():
            with open("{pokes}", "a") as out:
                out.write("poke\\n")
            return len(open("{pokes}").read().splitlines()) >= 3

        with DAG("sense", schedule=None):
            PythonSensor(task_id="wait", python_callable=poke, mode="reschedule", poke_interval=1, retries=1,
                         retry_delay=timedelta(0))
        """,
    )
    active = await _start_at("reschedule", app_env, db, path, tmp_path / "active.log")
    standby = None
    try:
        await wait_for(lambda: _logged(active, "running sense"), 30, "the active app to take the lock")
        standby = await start_app(app_env, db, path, tmp_path / "standby.log")
        await wait_for(lambda: _logged(standby, "waiting as a standby"), 30, "the standby to wait")
        cli(app_env, "dags", "trigger", "sense", "-r", "r1")
        await wait_for(lambda: _stopped(active), 60, "the active app to stop inside the reschedule")
        assert await task_states(db, "sense", "r1") == {"wait": ("running", 1)}
        assert await db.fetchval("SELECT count(*) FROM task_reschedule WHERE dag_id = 'sense'") == 0
        active.kill()
        assert await wait_run_done(db, "sense", "r1", timeout=90) == "success", standby.output()
    finally:
        active.stop()
        if standby is not None:
            standby.stop()
    assert "Recovered sense.wait[-1] try 1 as up_for_retry" in standby.output()
    assert await task_states(db, "sense", "r1") == {"wait": ("success", 2)}
    assert pokes.read_text().splitlines() == ["poke"] * 3
    # Try 2 poked twice: one reschedule committed (try 1's was rolled back with the app).
    assert await db.fetchval("SELECT count(*) FROM task_reschedule WHERE dag_id = 'sense'") == 1


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
