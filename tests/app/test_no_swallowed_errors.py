"""Failures the app must not swallow, each made real in PostgreSQL (a trigger that refuses a write, a terminated
connection, a moved lease) while a real app runs: a failed heartbeat stops claiming, a failed result write is
retried with its XCom, a failed scheduled-run creation is an error event and its interval is retried, and losing
the lock (or the lease) fences the app. Stale tries are covered in test_kill9.py."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, cli, start_app, task_states, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(180)]

ONE_TASK = """
    import os
    from datetime import timedelta
    from airflow.sdk import DAG, task

    with DAG("{dag_id}", schedule={schedule}, start_date={start}, catchup=False,
             default_args={{"retries": 1, "retry_delay": timedelta(0)}}):
        @task
        def t():
            open("{marks}/t-" + os.readlink("/proc/self"), "w").close()  # real pid: unique
            return "done"

        t()
"""


def _one_task(marks: Path, dag_id: str, schedule: str = "None", start: str = "None") -> str:
    return ONE_TASK.format(dag_id=dag_id, schedule=schedule, start=start, marks=marks)


async def _refuse(db: asyncpg.Connection, name: str, table: str, when: str, times: int | None = None) -> None:
    """A BEFORE trigger on `table` that raises for rows matching `when` — every time, or the first `times` times
    (counted by a sequence, which a rolled-back transaction does not roll back)."""
    limit = "" if times is None else f"AND nextval('{name}_seq') <= {times}"
    await db.execute(
        f"""
        CREATE SEQUENCE {name}_seq;
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {when} {limit} THEN
                RAISE EXCEPTION '{name}: refused by the test';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}();
        """
    )


async def _attempts(db: asyncpg.Connection, name: str) -> int:
    """How often the trigger `name` (with `times` unset) was reached: counted by its sequence."""
    return int(await db.fetchval(f"SELECT last_value FROM {name}_seq"))


def _logged(app: AppProcess, text: str) -> bool:
    return text in app.output()


async def test_a_failing_heartbeat_stops_claiming_until_it_succeeds(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    path = write_dag(dags, "beat.py", _one_task(marks, "beat"))
    app = await start_app(app_env, db, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: _async(_logged(app, "running beat")), 30, "the app to run")
        # Every heartbeat now fails (the app's row refuses the update); the sequence counts the attempts.
        await _refuse(db, "no_beat", "app", "nextval('no_beat_seq') > 0")
        await wait_for(lambda: _async(_logged(app, "Heartbeat failed")), 30, "a failed heartbeat")
        cli(app_env, "dags", "trigger", "beat", "-r", "r1")
        await wait_for(lambda: _scheduled(db), 30, "the task to be scheduled")
        seen = await _attempts(db, "no_beat")
        # Two more failed heartbeats (a whole heartbeat interval, many loop turns): the try is still not claimed.
        await wait_for(lambda: _more_attempts(db, seen + 2), 30, "two more heartbeats")
        assert await task_states(db, "beat", "r1") == {"t": ("scheduled", 1)}
        assert not list(marks.iterdir())
        assert "claiming no new tries until it succeeds" in app.output()
        await db.execute("DROP TRIGGER no_beat ON app")
        assert await wait_run_done(db, "beat", "r1", timeout=60) == "success", app.output()
        assert "Heartbeat succeeds again; claiming tries" in app.output()
        assert await task_states(db, "beat", "r1") == {"t": ("success", 1)}
    finally:
        app.stop()


async def test_a_failed_result_write_is_retried_with_its_xcom(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    path = write_dag(dags, "write.py", _one_task(marks, "write"))
    # The first two result writes fail (their XCom insert is refused: the whole transaction rolls back).
    await _refuse(db, "no_xcom", "xcom", "NEW.dag_id = 'write'", times=2)
    app = await start_app(app_env, db, path, tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "write", "-r", "r1")
        assert await wait_run_done(db, "write", "r1", timeout=60) == "success", app.output()
    finally:
        app.stop()
    assert app.output().count("Recording the result of") == 2
    assert "no_xcom: refused by the test" in app.output()
    assert await task_states(db, "write", "r1") == {"t": ("success", 1)}  # the try was not run again
    assert len(list(marks.iterdir())) == 1
    assert await db.fetchval("SELECT value FROM xcom WHERE dag_id = 'write' AND key = 'return_value'") == '"done"'


async def test_a_failed_scheduled_run_creation_is_an_error_event_and_the_interval_is_retried(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    path = write_dag(dags, "tick.py", _one_task(marks, "tick", '"@daily"', "datetime.datetime(2024, 1, 1)"))
    path.write_text("import datetime\n" + path.read_text())
    await _refuse(db, "no_run", "dag_run", "NEW.dag_id = 'tick' AND NEW.run_type = 'scheduled'", times=1)
    app = await start_app(app_env, db, path, tmp_path / "app.log")
    try:
        event = await wait_for(
            lambda: db.fetchrow("SELECT run_id, extra FROM event WHERE dag_id = 'tick' AND event = 'error'"),
            60,
            "the error event",
        )
        assert event["run_id"].startswith("scheduled__")
        assert "Creating the scheduled run failed" in str(event["extra"])
        assert "no_run: refused by the test" in str(event["extra"])
        # The same interval is created on the next attempt, and runs.
        assert await wait_run_done(db, "tick", event["run_id"], timeout=60) == "success", app.output()
    finally:
        app.stop()
    assert await db.fetchval("SELECT count(*) FROM dag_run WHERE dag_id = 'tick'") == 1


async def test_losing_the_lock_connection_fences_the_app_and_the_standby_takes_over(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    """The connection holding the DAG's advisory lock is terminated while a try runs: the app fences itself (no
    further writes, its try killed) and exits non-zero; the standby takes the lock with a new fencing token and
    retries the try per its retries."""
    marks = tmp_path / "marks"
    marks.mkdir()
    path = write_dag(dags, "fence.py", _blocking_first_try(marks, "fence"))
    active = await start_app(app_env, db, path, tmp_path / "active.log", "--app-id", "active")
    standby = None
    try:
        await wait_for(lambda: _async(_logged(active, "running fence")), 30, "the active app to take the lock")
        standby = await start_app(app_env, db, path, tmp_path / "standby.log", "--app-id", "standby")
        await wait_for(lambda: _async(_logged(standby, "waiting as a standby")), 30, "the standby to wait")
        cli(app_env, "dags", "trigger", "fence", "-r", "r1")
        await wait_for(lambda: _async(bool(list(marks.iterdir()))), 60, "try 1 to run")
        terminated = await db.fetchval(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert terminated
        assert active.wait(30) == 1, active.output()
        assert "Fenced: the session connection holding the DAG locks closed" in active.output()
        assert await wait_run_done(db, "fence", "r1", timeout=90) == "success", standby.output()
    finally:
        active.stop()
        if standby is not None:
            standby.stop()
    assert await task_states(db, "fence", "r1") == {"t": ("success", 2)}
    lease = await db.fetchrow("SELECT app_id, fencing_token FROM dag_schedule_lease WHERE dag_id = 'fence'")
    assert tuple(lease) == ("standby", 2)
    history = await db.fetch("SELECT try_number, state, app_id FROM task_instance_history ORDER BY try_number")
    assert [(r["try_number"], r["state"], r["app_id"]) for r in history] == [
        (1, "up_for_retry", "active"), (2, "success", "standby")
    ]  # fmt: skip


async def test_a_write_with_a_stale_fencing_token_fences_the_app(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    """Another holder's tenure began (the lease's token moved on) while this app still ran a try: its result write
    is refused by the token check, nothing of it lands, and the app stops acting for the DAG."""
    marks = tmp_path / "marks"
    marks.mkdir()
    release = tmp_path / "release"
    path = write_dag(dags, "lease.py", _blocking_first_try(marks, "lease", release))
    app = await start_app(app_env, db, path, tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "lease", "-r", "r1")
        await wait_for(lambda: _async(bool(list(marks.iterdir()))), 60, "try 1 to run")
        await db.execute("UPDATE dag_schedule_lease SET fencing_token = fencing_token + 1 WHERE dag_id = 'lease'")
        release.touch()  # try 1 returns now; recording its result meets the new token
        assert app.wait(30) == 1, app.output()
    finally:
        app.stop()
    assert "Fenced: the scheduling lease of lease moved on (token 2, this app holds 1)" in app.output()
    assert await task_states(db, "lease", "r1") == {"t": ("running", 1)}  # the app that takes over recovers it
    assert await db.fetchval("SELECT count(*) FROM xcom WHERE dag_id = 'lease'") == 0


def _blocking_first_try(marks: Path, dag_id: str, release: Path | None = None) -> str:
    """One task whose try 1 runs until its app is gone (or until `release` exists); try 2 returns at once."""
    wait = f'os.path.exists("{release}")' if release else "False"
    return f"""
import os, time
from datetime import timedelta
from airflow.sdk import DAG, task

with DAG("{dag_id}", schedule=None, default_args={{"retries": 1, "retry_delay": timedelta(0)}}):
    @task
    def t():
        first_try = not os.listdir("{marks}")
        open("{marks}/t-" + os.readlink("/proc/self"), "w").close()  # real pid: unique
        while first_try and not {wait}:
            time.sleep(0.2)
        return "done"

    t()
"""


async def _async(value: bool) -> bool:
    return value


async def _scheduled(db: asyncpg.Connection) -> bool:
    return bool(await db.fetchval("SELECT state = 'scheduled' FROM task_instance WHERE dag_id = 'beat'"))


async def _more_attempts(db: asyncpg.Connection, at_least: int) -> bool:
    return await _attempts(db, "no_beat") >= at_least
