"""The DAG app end to end: real PostgreSQL, real app processes, real task processes."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import pwd
import signal
from pathlib import Path

import asyncpg
import pendulum
import pytest

from tests.app.harness import AppProcess, cli, start_app, task_states, wait_for, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(180)]


def process_is_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


CONF_DAG = """
    from airflow.sdk import DAG, task
    import pendulum

    with DAG("conf_dag", schedule=None, start_date=pendulum.datetime(2024, 1, 1), params={"n": 1}):
        @task
        def numbers(params=None):
            return list(range(params["n"]))

        @task
        def double(x):
            return x * 2

        @task
        def total(values):
            return sum(values)

        total(double.expand(x=numbers()))
"""


async def test_manual_trigger_with_conf_runs_to_success(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    path = write_dag(dags, "conf_dag.py", CONF_DAG)
    app = AppProcess(app_env, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 20, "app registration")
        cli(app_env, "dags", "trigger", "conf_dag", "-r", "run1", "-c", json.dumps({"n": 4}))
        assert await wait_run_done(db, "conf_dag", "run1") == "success", app.output()
        states = await task_states(db, "conf_dag", "run1")
        assert states == {
            "numbers": ("success", 1), "double[0]": ("success", 1), "double[1]": ("success", 1),
            "double[2]": ("success", 1), "double[3]": ("success", 1), "total": ("success", 1),
        }  # fmt: skip
        total = await db.fetchval("SELECT value FROM xcom WHERE dag_id = 'conf_dag' AND task_id = 'total'")
        assert json.loads(total) == 12
        # The DAG is registered with its serialized structure and logs were kept per try.
        version = await db.fetchval("SELECT data FROM dag_version WHERE dag_id = 'conf_dag'")
        assert [t["task_id"] for t in json.loads(version)["tasks"]] == ["numbers", "double", "total"]
        assert await db.fetchval("SELECT count(*) FROM task_log WHERE dag_id = 'conf_dag' AND task_id = 'total'") > 0
    finally:
        app.stop()


async def test_scheduled_runs_with_catchup(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    start = pendulum.now("UTC").start_of("day").subtract(days=3)
    path = write_dag(
        dags,
        "daily.py",
        f"""
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator
        import pendulum

        with DAG("daily", schedule="@daily", start_date=pendulum.parse("{start.isoformat()}"), catchup=True):
            EmptyOperator(task_id="noop")
        """,
    )
    app = AppProcess(app_env, path, tmp_path / "app.log")
    try:
        expected = [start.add(days=i) for i in range(4)]  # three past midnights and today's

        async def all_done() -> bool:
            n = await db.fetchval("SELECT count(*) FROM dag_run WHERE dag_id = 'daily' AND state = 'success'")
            return bool(n == len(expected))

        await wait_for(all_done, 60, f"the catch-up runs; app log:\n{app.output()}")
        rows = await db.fetch("SELECT run_id, logical_date, run_type FROM dag_run WHERE dag_id = 'daily' ORDER BY 2")
        assert [r["logical_date"] for r in rows] == expected
        assert {r["run_type"] for r in rows} == {"scheduled"}
        assert rows[0]["run_id"] == f"scheduled__{start.isoformat()}"
        # The app publishes the timetable's next run on the dag row (the broker has no timetable): tomorrow.
        tomorrow = start.add(days=4)

        async def next_published() -> bool:
            row = await db.fetchrow("SELECT * FROM dag WHERE dag_id = 'daily'")
            return bool(row["next_dagrun"] == tomorrow)

        await wait_for(next_published, 30, f"next_dagrun; app log:\n{app.output()}")
        row = await db.fetchrow("SELECT * FROM dag WHERE dag_id = 'daily'")
        assert (row["next_dagrun_data_interval_start"], row["next_dagrun_data_interval_end"]) == (tomorrow, tomorrow)
        assert row["next_dagrun_create_after"] == tomorrow
    finally:
        app.stop()


async def test_a_paused_dag_still_shows_its_next_run(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    path = write_dag(
        dags,
        "paused_hourly.py",
        """
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator
        import pendulum

        with DAG("paused_hourly", schedule="@hourly", start_date=pendulum.datetime(2024, 1, 1), catchup=False,
                 is_paused_upon_creation=True):
            EmptyOperator(task_id="noop")
        """,
    )
    app = AppProcess(app_env, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT next_dagrun FROM dag WHERE dag_id = 'paused_hourly'"), 30,
                       f"next_dagrun of a paused DAG; app log:\n{app.output()}")  # fmt: skip
        row = await db.fetchrow("SELECT * FROM dag WHERE dag_id = 'paused_hourly'")
        assert row["is_paused"]
        # Without catchup Airflow's next run is the latest hour already passed (run as soon as unpaused).
        hour = pendulum.now("UTC").start_of("hour")
        assert row["next_dagrun"] in (hour, hour.subtract(hours=1))  # (the app may have looked before the hour)
        assert await db.fetchval("SELECT count(*) FROM dag_run WHERE dag_id = 'paused_hourly'") == 0
    finally:
        app.stop()


async def test_a_timedelta_schedule_without_catchup_runs_at_once_then_every_delta(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    """Airflow 3's schedule=timedelta (DeltaTriggerTimetable) without catchup: the first run is due now, the next one
    a delta after it (the timetable answers max(now, last + delta), so a loop that re-reads the clock must still
    find the first one due)."""
    path = write_dag(
        dags,
        "every_hour.py",
        """
        import datetime as dt
        import pendulum
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("every_hour", schedule=dt.timedelta(hours=1), start_date=pendulum.datetime(2024, 1, 1),
                 catchup=False):
            EmptyOperator(task_id="noop")
        """,
    )
    app = await start_app(app_env, db, path, tmp_path / "app.log")
    try:
        done = "SELECT count(*) FROM dag_run WHERE dag_id = 'every_hour' AND state = 'success'"
        await wait_for(lambda: db.fetchval(done), 60, f"the first run; app log:\n{app.output()}")
        run = await db.fetchrow("SELECT * FROM dag_run WHERE dag_id = 'every_hour'")
        assert run["run_type"] == "scheduled"
        assert abs((pendulum.now("UTC") - run["run_after"]).total_seconds()) < 120
        next_run = await db.fetchval("SELECT next_dagrun_create_after FROM dag WHERE dag_id = 'every_hour'")
        assert abs((next_run - run["run_after"]).total_seconds() - 3600) < 1
        assert await db.fetchval("SELECT count(*) FROM dag_run WHERE dag_id = 'every_hour'") == 1
    finally:
        app.stop()


async def test_dag_callbacks_run_when_a_run_finishes(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "callbacks.txt"
    path = write_dag(
        dags,
        "callbacks.py",
        f"""
        from airflow.sdk import DAG, task

        def note(context):
            with open({str(marker)!r}, "a") as f:
                f.write(f"{{context['reason']}} {{context['dag_run'].run_id}}\\n")

        with DAG("callbacks", schedule=None, on_success_callback=note, on_failure_callback=note):
            @task
            def work(params=None):
                if params.get("fail"):
                    raise ValueError("asked to fail")

            work()
        """,
    )
    app = await start_app(app_env, db, path, tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "callbacks", "-r", "good")
        cli(app_env, "dags", "trigger", "callbacks", "-r", "bad", "-c", '{"fail": true}')
        assert await wait_run_done(db, "callbacks", "good") == "success"
        assert await wait_run_done(db, "callbacks", "bad") == "failed"

        async def both_noted() -> bool:
            return marker.exists() and len(marker.read_text().splitlines()) == 2

        await wait_for(both_noted, 20, "the DAG callbacks")
        assert sorted(marker.read_text().splitlines()) == ["success good", "task_failure bad"]
    finally:
        app.stop()


async def test_backfill_runs_newest_first_one_at_a_time(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    from riir_airflow.metastore import queries
    from riir_airflow.metastore.pool import connect, settings_from_config

    path = write_dag(
        dags,
        "filled.py",
        """
        import pendulum
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("filled", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1), catchup=False):
            EmptyOperator(task_id="t")
        """,
    )
    app = await start_app(app_env, db, path, tmp_path / "app.log")
    try:
        conn = await connect(settings_from_config(dsn=app_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]))
        try:
            days = [pendulum.datetime(2024, 1, d) for d in (1, 2, 3, 4)]
            backfill = await queries.create_backfill(
                conn, "filled", from_date=days[0], to_date=days[-1], max_active_runs=1, run_backwards=True
            )
            async with conn.transaction():  # all at once, as `backfill create` does: the app sees every run
                for day in days:
                    await queries.create_dag_run(
                        conn, "filled", f"backfill__{day.isoformat()}", run_type="backfill", logical_date=day,
                        data_interval=(day, day), run_after=day, state="queued", backfill_id=backfill.id,
                    )  # fmt: skip
        finally:
            await conn.close()
        for day in days:
            state = await wait_run_done(db, "filled", f"backfill__{day.isoformat()}")
            assert state == "success", app.output()
        rows = await db.fetch(
            "SELECT logical_date, start_date, end_date FROM dag_run WHERE backfill_id IS NOT NULL ORDER BY start_date"
        )
        assert [r["logical_date"] for r in rows] == list(reversed(days))  # newest first
        for earlier, later in itertools.pairwise(rows):
            assert earlier["end_date"] <= later["start_date"]  # one at a time (the backfill's max_active_runs)
    finally:
        app.stop()


@pytest.mark.skipif(os.getuid() != 0, reason="switching users needs the app to run as root")
async def test_run_as_user_runs_the_task_process_as_that_user(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    path = write_dag(
        dags,
        "as_user.py",
        """
        import os
        from airflow.sdk import DAG, task

        with DAG("as_user", schedule=None):
            @task(run_as_user="nobody")
            def whoami():
                return os.getuid()

            whoami()
        """,
    )
    app = await start_app(app_env, db, path, tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "as_user", "-r", "r1")
        assert await wait_run_done(db, "as_user", "r1") == "success", app.output()
        uid = await db.fetchval("SELECT value FROM xcom WHERE dag_id = 'as_user' AND task_id = 'whoami'")
        assert json.loads(uid) == pwd.getpwnam("nobody").pw_uid
    finally:
        app.stop()


async def test_failures_retry_then_fail_the_run(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    path = write_dag(
        dags,
        "flaky.py",
        """
        from datetime import timedelta
        from airflow.sdk import DAG, task

        with DAG("flaky", schedule=None):
            @task(retries=2, retry_delay=timedelta(seconds=0))
            def boom():
                raise ValueError("always broken")

            @task
            def after():
                return 1

            boom() >> after()
        """,
    )
    app = await start_app(app_env, db, path, tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "flaky", "-r", "r1")
        assert await wait_run_done(db, "flaky", "r1") == "failed"
        assert await task_states(db, "flaky", "r1") == {"boom": ("failed", 3), "after": ("upstream_failed", 0)}
        history = await db.fetch(
            "SELECT try_number, state FROM task_instance_history WHERE task_id = 'boom' ORDER BY 1"
        )
        assert [(h["try_number"], h["state"]) for h in history] == [
            (1, "up_for_retry"),
            (2, "up_for_retry"),
            (3, "failed"),
        ]
        log = await db.fetch("SELECT line FROM task_log WHERE task_id = 'boom' AND try_number = 3")
        assert any("ValueError: always broken" in r["line"] for r in log)
    finally:
        app.stop()


SLOW_CHAIN = """
    import time
    from datetime import timedelta
    from airflow.sdk import DAG, task

    with DAG("slow_chain", schedule=None, default_args={"retries": 1, "retry_delay": timedelta(0)}):
        @task
        def first():
            return 1

        @task
        def middle(x):
            time.sleep(3)
            return x + 1

        @task
        def last(x):
            return x + 1

        last(middle(first()))
"""


async def test_killed_app_restarts_and_finishes_without_duplicate_successes(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    path = write_dag(dags, "slow_chain.py", SLOW_CHAIN)
    app = AppProcess(app_env, path, tmp_path / "app1.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app"), 20, "app registration")
        cli(app_env, "dags", "trigger", "slow_chain", "-r", "r1")
        await wait_for(
            lambda: db.fetchval("SELECT state = 'running' FROM task_instance WHERE task_id = 'middle'"),
            20,
            "middle to run",
        )
        old_pid = await db.fetchval("SELECT pid FROM task_instance WHERE task_id = 'middle'")
        app.proc.send_signal(signal.SIGKILL)
        app.proc.wait(10)
    finally:
        app.stop()
    restarted = AppProcess(app_env, path, tmp_path / "app2.log")
    try:
        assert await wait_run_done(db, "slow_chain", "r1") == "success", restarted.output()
        states = await task_states(db, "slow_chain", "r1")
        assert states == {"first": ("success", 1), "middle": ("success", 2), "last": ("success", 1)}
        successes = await db.fetch(
            "SELECT task_id, count(*) AS n FROM task_instance_history WHERE state = 'success' GROUP BY task_id"
        )
        assert {r["task_id"]: r["n"] for r in successes} == {"first": 1, "middle": 1, "last": 1}
        # The orphaned task process of the killed app was stopped rather than left running (it may linger as a
        # zombie until the container's init reaps it).
        assert not process_is_running(old_pid)
    finally:
        restarted.stop()


async def test_two_replicas_never_run_the_same_try(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    path = write_dag(
        dags,
        "wide.py",
        """
        from airflow.sdk import DAG, task

        with DAG("wide", schedule=None):
            @task
            def work(i):
                return i

            for i in range(8):
                work.override(task_id=f"w{i}")(i)
        """,
    )
    first = AppProcess(app_env, path, tmp_path / "a.log", "--app-id", "replica-a")
    second = AppProcess(app_env, path, tmp_path / "b.log", "--app-id", "replica-b")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) = 2 FROM app"), 20, "both replicas to register")
        runs = [f"r{i}" for i in range(6)]
        for run_id in runs:
            cli(app_env, "dags", "trigger", "wide", "-r", run_id)
        for run_id in runs:
            assert await wait_run_done(db, "wide", run_id) == "success"
        rows = await db.fetch(
            "SELECT run_id, task_id, try_number, app_id FROM task_instance_history WHERE dag_id = 'wide'"
        )
        assert len(rows) == len(runs) * 8
        assert len({(r["run_id"], r["task_id"]) for r in rows}) == len(rows)  # each try ran once
        assert {r["try_number"] for r in rows} == {1}
        assert len({r["app_id"] for r in rows}) == 1  # only the lock holder schedules; the other is a standby
        # Take-over: the active replica dies, the standby finishes new work.
        active = first if rows[0]["app_id"] == "replica-a" else second
        standby = second if active is first else first
        active.kill()
        cli(app_env, "dags", "trigger", "wide", "-r", "after")
        assert await wait_run_done(db, "wide", "after", timeout=60) == "success", standby.output()
    finally:
        first.stop()
        second.stop()


async def test_sigterm_drains_within_the_grace_period(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    path = write_dag(
        dags,
        "drain.py",
        """
        import time
        from airflow.sdk import DAG, task

        with DAG("drain", schedule=None):
            @task
            def short():
                time.sleep(1)
                return "done"

            @task
            def long():
                time.sleep(60)

            short()
            long()
        """,
    )
    app = await start_app(app_env, db, path, tmp_path / "app.log", "--grace-period", "3")
    try:
        cli(app_env, "dags", "trigger", "drain", "-r", "r1")
        await wait_for(
            lambda: db.fetchval("SELECT count(*) = 2 FROM task_instance WHERE state = 'running'"),
            20,
            "both tasks to run",
        )
        started = asyncio.get_running_loop().time()
        code = await asyncio.to_thread(app.terminate, 30)
        elapsed = asyncio.get_running_loop().time() - started
        assert code == 0, app.output()
        assert elapsed < 3 + 5  # the grace period plus shutdown, not the 60 s task
        states = await task_states(db, "drain", "r1")
        assert states["short"] == ("success", 1)  # finished within the grace period
        assert states["long"][0] == "up_for_retry"  # handed back: retryable, not failed
        assert await db.fetchval("SELECT state FROM app") == "stopped"
    finally:
        app.stop()


HANDOVER_DAG = """
    import time
    from datetime import timedelta
    from airflow.sdk import DAG, task

    with DAG("handover", schedule=None):
        @task
        def short():
            time.sleep(1)
            return "done"

        @task(retry_delay=timedelta(seconds=1))
        def long(ti=None):
            if ti.try_number == 1:
                time.sleep(60)  # longer than the grace period: handed back on drain
            return ti.try_number

        short()
        long()
"""


async def test_prestop_drain_hands_the_work_to_the_standby(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    """The Kubernetes rolling update, locally: the old pod's PreStop runs `riir-airflow app drain FILE`; its short
    try finishes within the grace period, the long one is handed back, the app deregisters, and the new pod's app
    (waiting as a standby) takes the DAG's lock and runs the handed-back try."""
    path = write_dag(dags, "handover.py", HANDOVER_DAG)
    # Each pod has its own filesystem, so each app its own pid file (what `app drain FILE` finds).
    old_env = {**app_env, "RIIR_APP_PID_DIR": str(tmp_path / "old-pod")}
    new_env = {**app_env, "RIIR_APP_PID_DIR": str(tmp_path / "new-pod")}
    old = await start_app(old_env, db, path, tmp_path / "old.log", "--app-id", "old", "--grace-period", "3")
    new = None
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM dag WHERE dag_id = 'handover'"), 20, "the DAG")
        new = await start_app(new_env, db, path, tmp_path / "new.log", "--app-id", "new", "--grace-period", "3")
        cli(app_env, "dags", "trigger", "handover", "-r", "r1")
        await wait_for(
            lambda: db.fetchval("SELECT count(*) = 2 FROM task_instance WHERE state = 'running' AND app_id = 'old'"),
            20,
            "both tries to run on the old app",
        )
        drained = await asyncio.to_thread(cli, old_env, "app", "drain", str(path), "--timeout", "20")
        assert drained.stdout.startswith("App ") and "drained" in drained.stdout
        # The drain did not wait for the 60 s try: that try was handed back (up_for_retry, below), not finished.
        assert old.proc.wait(5) == 0, old.output()
        assert await db.fetchval("SELECT state FROM app WHERE id = 'old'") == "stopped"
        assert await wait_run_done(db, "handover", "r1", timeout=60) == "success", new.output()
        history = await db.fetch(
            "SELECT task_id, try_number, state, app_id FROM task_instance_history WHERE dag_id = 'handover' "
            "ORDER BY task_id, try_number"
        )
        assert [tuple(r) for r in history] == [
            ("long", 1, "up_for_retry", "old"),  # handed back, not failed
            ("long", 2, "success", "new"),  # picked up by the standby
            ("short", 1, "success", "old"),  # finished within the grace period
        ]
    finally:
        old.stop()
        if new is not None:
            new.stop()


async def test_retire_purge_leaves_no_rows(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    path = write_dag(dags, "conf_dag.py", CONF_DAG)
    app = await start_app(app_env, db, path, tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "conf_dag", "-r", "r1", "-c", '{"n": 2}')
        assert await wait_run_done(db, "conf_dag", "r1") == "success"
    finally:
        app.terminate()
    result = cli(app_env, "app", "retire", "conf_dag", "--purge", "--yes")
    assert "Purged conf_dag" in result.stdout
    for table in ("dag", "dag_version", "dag_run", "task_instance", "task_instance_history", "xcom", "task_log"):
        assert await db.fetchval(f"SELECT count(*) FROM {table} WHERE dag_id = 'conf_dag'") == 0, table


async def test_broken_dag_files_and_crashing_tasks_only_hurt_themselves(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    healthy = AppProcess(app_env, write_dag(dags, "conf_dag.py", CONF_DAG), tmp_path / "healthy.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app"), 20, "the healthy app")
        # A syntax error: the app refuses to start and names the file and line.
        broken_dir = tmp_path / "broken"
        broken_dir.mkdir()
        syntax = write_dag(
            broken_dir, "syntax_error.py", "from airflow.sdk import DAG\nwith DAG('x') as dag:\n    oops(\n"
        )
        result = cli(app_env, "app", str(syntax), check=False)
        assert result.returncode == 1
        assert "syntax_error.py" in result.stderr and "line 3" in result.stderr and "SyntaxError" in result.stderr
        # ... and records it where the broker lists import errors.
        recorded = await db.fetchval("SELECT extra FROM event WHERE event = 'import_error'")
        assert json.loads(recorded)["filename"] == str(syntax)
        # An endless loop at import: stopped by [core] dagbag_import_timeout, reported as the file's error.
        loop = write_dag(broken_dir, "endless.py", "from airflow.sdk import DAG\nwhile True:\n    pass\n")
        env = {**app_env, "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "2"}
        result = cli(env, "app", str(loop), check=False)
        assert result.returncode == 1
        assert "DagBag import timeout for" in result.stderr and "endless.py" in result.stderr
        # A task that kills its own process: that try fails with a recorded reason; the app carries on.
        crash = write_dag(
            broken_dir,
            "crash.py",
            """
            import os
            from airflow.sdk import DAG, task

            with DAG("crash", schedule=None):
                @task
                def die():
                    os._exit(3)

                @task
                def fine():
                    return "ok"

                die()
                fine()
            """,
        )
        crasher = AppProcess(app_env, crash, tmp_path / "crash.log")
        try:
            try:
                running_apps = "SELECT count(*) = 2 FROM app WHERE state = 'running'"
                await wait_for(lambda: db.fetchval(running_apps), 30, "crash app")
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{crasher.output()}") from None
            cli(app_env, "dags", "trigger", "crash", "-r", "c1")
            cli(app_env, "dags", "trigger", "conf_dag", "-r", "h1", "-c", '{"n": 2}')
            assert await wait_run_done(db, "crash", "c1") == "failed"
            assert await task_states(db, "crash", "c1") == {"die": ("failed", 1), "fine": ("success", 1)}
            reason = await db.fetchval("SELECT line FROM task_log WHERE task_id = 'die' AND stream = 'stderr'")
            assert reason == "Task process ended without a result (exit code 3)"
            assert crasher.proc.poll() is None  # the app itself is fine
            assert await wait_run_done(db, "conf_dag", "h1") == "success"  # and the other app never noticed
        finally:
            crasher.stop()
    finally:
        healthy.stop()
