"""Many DAG apps on one metastore: per-app idle memory and CPU, connections per app, NOTIFY fan-out, and a
scheduled tick of every DAG at the same minute (tick-to-first-task latency for all of them).

    python benchmarks/bench_many_apps.py [--apps 20] [--idle-seconds 30] [--no-zygote] [--keep]
    python benchmarks/bench_many_apps.py --apps 200      # the issue's size (minutes of start-up on 2 cores)

A private PostgreSQL 15 (the system binaries under /usr/lib/postgresql/15/bin, run as the `postgres` user in a temp
dir, on a free loopback port) holds the metastore, so the machine's shared server is never exhausted; its
max_connections is sized to 3 per app + 30 (start-up grants each app its role on a connection of its own). Each
app runs one DAG file: `many_NNN`, schedule "* * * * *", catchup=False, one no-op @task, paused at creation. The
apps are started as a user starts many apps on one machine: `riir-airflow standalone --no-broker --dags DIR`, one
app per file, each forked from standalone's zygote (`--no-zygote`: each in an interpreter of its own). Every figure
of memory and CPU counts standalone's whole tree: the supervisor and the zygote as well as the apps. Then:

1. unpause: every DAG is unpaused in one UPDATE (the trigger notifies each app); with catchup=False each app
   creates its latest interval's run at once. Those runs are waited for.
2. idle: `--idle-seconds` of /proc sampling of every app process (PSS summed over processes and divided by the
   number of apps; CPU of all apps together as % of one core), starting at least 15 s after the catch-up runs ended
   (`SETTLE_S`) and ending before the apps prepare the tick (`PRE_TICK_S` before the next minute: an app
   makes its fork server again `TEMPLATE_LEAD_SECONDS` before a scheduled run, app/executor.py).
3. tick: at the next minute every DAG is due at once. Latency per DAG = start_date of its first task instance minus
   the run's run_after (the cron fire time). Listeners on the metastore count the NOTIFY events of the tick on the
   global channels, and those on one DAG's own channel (what its app hears: apps LISTEN to their DAGs' channels
   only, metastore/notify.py). The statements the apps send during the tick and the idle window are counted by
   pg_stat_statements (loaded by the private server; BEGIN and COMMIT count as statements); the benchmark's own
   connections log in as another role and are left out. The tick's statements, most frequent first, are printed.
4. connections: rows of pg_stat_activity on the metastore, per app (the benchmark's own connection excluded).

BENCH_PG_LOG=1 makes the private server log every statement (postgres.log in the work directory, with --keep):
what an app sends in each phase.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg

from riir_airflow.app.executor import TEMPLATE_LEAD_SECONDS
from riir_airflow.metastore.notify import dag_channel  # the channel name an app listens to

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_app  # noqa: E402  (the Airflow side: bench_app.py's Airflow system)
import measure  # noqa: E402
from airflow_env import AIRFLOW_VERSION  # noqa: E402
from harness import Processes, database, free_port, riir_cli, wait_until  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
CHANNELS = ("riir_run_created", "riir_task_state", "riir_dag_paused")
OBSERVER = "riir_bench"  # the login of the benchmark's own connections: its statements are not the apps'


# Seconds between the catch-up runs' end and the idle window, at the least: apps close their fork servers 10 s
# after their last work ([riir] fork_server_idle_seconds, app/executor.py).
SETTLE_S = 15.0
# The idle window ends this long before the minute: from TEMPLATE_LEAD_SECONDS before a run is due, apps prepare
# it (a fork server each); that is the tick's cost, counted with it.
PRE_TICK_S = TEMPLATE_LEAD_SECONDS + 1.0
# Two idle heartbeats of every app (app/service.py IDLE_HEARTBEAT_SECONDS, 15 s): a window that is not a multiple of
# it counts one or two beats of each app depending on its phase, and the phases cluster (each app's is set by the end
# of its catch-up run), so a 20 s window moved the idle CPU of the same code by a third between runs.
IDLE_WINDOW_S = 30.0


def dag_source(dag_id: str) -> str:
    return f"""import datetime

from airflow.sdk import dag, task


@task
def noop():
    return None


@dag(dag_id="{dag_id}", schedule="* * * * *", start_date=datetime.datetime(2024, 1, 1), catchup=False)
def many():
    noop()


many()
"""


@contextlib.contextmanager
def private_postgres(workdir: Path, max_connections: int) -> Iterator[tuple[str, int]]:
    """A throw-away PostgreSQL server (trust auth, loopback only) run as the `postgres` user; yields its base URL and
    the pid its processes descend from (for their CPU)."""
    # Its own temp dir (not under workdir, which is private to this user), owned by the server's user.
    root = Path(tempfile.mkdtemp(prefix="bench-many-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    subprocess.run(
        [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"],
        check=True,
        capture_output=True,
    )
    port = free_port()
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(sock),
        "max_connections": str(max_connections),
        "fsync": "off",  # a benchmark database: losing it on a crash costs nothing
        "shared_preload_libraries": "pg_stat_statements",  # counts the statements the apps send
        "pg_stat_statements.track": "top",
        "pg_stat_statements.max": "10000",
        **({"log_statement": "all", "log_line_prefix": "%p %m "} if os.environ.get("BENCH_PG_LOG") else {}),
    }
    cmd = [*as_postgres, str(PG_BIN / "postgres"), "-D", str(data)]
    for key, value in settings.items():
        cmd += ["-c", f"{key}={value}"]
    with open(root / "postgres.log", "wb") as log:
        server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"postgresql://postgres@127.0.0.1:{port}"

    async def ready() -> bool:
        try:
            conn = await asyncpg.connect(f"{url}/postgres", timeout=2)
        except (OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    async def observer() -> None:
        conn = await asyncpg.connect(f"{url}/postgres")
        try:
            await conn.execute(f"CREATE ROLE {OBSERVER} LOGIN SUPERUSER")
            await conn.execute("CREATE EXTENSION pg_stat_statements")
        finally:
            await conn.close()

    try:
        wait_until(lambda: asyncio.run(ready()), 60, "the private PostgreSQL", every=0.3)
        asyncio.run(observer())
        yield url, server.pid
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if (root / "postgres.log").exists():
            shutil.copy(root / "postgres.log", workdir / "postgres.log")
        shutil.rmtree(root, ignore_errors=True)


async def count_dags(dsn: str, prefix: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM dag WHERE dag_id LIKE $1", prefix + "%"))
    except asyncpg.UndefinedTableError:
        return 0  # standalone has not migrated the metastore yet
    finally:
        await conn.close()


async def unpause_and_wait(dsn: str, apps: int, timeout: float) -> float:
    """Unpauses every DAG in one statement and waits for the runs that creates; returns seconds waited."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("UPDATE dag SET is_paused = false WHERE dag_id LIKE 'many_%'")
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            done = await conn.fetchval("SELECT count(*) FROM dag_run WHERE state IN ('success', 'failed')")
            if done >= apps:
                break
            await asyncio.sleep(0.5)
        return time.monotonic() - started
    finally:
        await conn.close()


async def connections(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    finally:
        await conn.close()


def observer_dsn(dsn: str) -> str:
    """The metastore's URL with the benchmark's own login (its statements are not counted as the apps')."""
    return dsn.replace("postgresql://postgres@", f"postgresql://{OBSERVER}@", 1)


def observer_admin_dsn(dsn: str) -> str:
    """The server's `postgres` database, where pg_stat_statements is installed (it sees every database)."""
    return observer_dsn(dsn).rsplit("/", 1)[0] + "/postgres"


async def reset_statements(dsn: str) -> None:
    conn = await asyncpg.connect(observer_admin_dsn(dsn))
    try:
        await conn.execute("SELECT pg_stat_statements_reset()")
    finally:
        await conn.close()


async def statements(dsn: str) -> list[tuple[int, int, str]]:
    """The statements sent to the metastore's database since the last reset by everyone but the benchmark itself:
    (calls, rows, query text), most called first (pg_stat_statements)."""
    conn = await asyncpg.connect(observer_admin_dsn(dsn))
    try:
        rows = await conn.fetch(
            # One line per text: the same statement can have several entries (apps forked from one zygote).
            "SELECT sum(calls) AS calls, sum(rows) AS rows, query FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid JOIN pg_roles r ON r.oid = s.userid "
            "WHERE d.datname = $2 AND r.rolname <> $1 GROUP BY query ORDER BY 1 DESC",
            OBSERVER, dsn.rsplit("/", 1)[1],
        )  # fmt: skip
        return [(int(r["calls"]), int(r["rows"]), str(r["query"])) for r in rows]
    finally:
        await conn.close()


async def first_task_latencies(conn: asyncpg.Connection, boundary: datetime.datetime) -> list[float]:
    """Seconds from `boundary` (the runs' run_after) to the first task's start, per DAG whose run at `boundary` has
    started a task: the same query on riir's metastore and Airflow's."""
    rows = await conn.fetch(
        "SELECT r.dag_id, min(ti.start_date) - r.run_after AS latency FROM dag_run r "
        "JOIN task_instance ti ON ti.dag_id = r.dag_id AND ti.run_id = r.run_id "
        "WHERE r.run_after = $1 AND ti.start_date IS NOT NULL GROUP BY r.dag_id, r.run_after",
        boundary,
    )
    return [r["latency"].total_seconds() for r in rows]


async def measure_tick(
    dsn: str, boundary: datetime.datetime, apps: int, timeout: float
) -> tuple[list[float], int, int]:
    """Waits for every DAG's run at `boundary` to start its first task; (latencies in s, NOTIFY events on the global
    channels, NOTIFY events on the channel of the first DAG)."""
    events = 0
    one_dag = 0

    def on_notify(_conn: object, _pid: int, channel: str, _payload: object) -> None:
        nonlocal events, one_dag
        if channel == dag_channel("many_000"):
            one_dag += 1
        else:
            events += 1

    listener = await asyncpg.connect(observer_dsn(dsn))
    conn = await asyncpg.connect(observer_dsn(dsn))
    try:
        for channel in (*CHANNELS, dag_channel("many_000")):
            await listener.add_listener(channel, on_notify)
        deadline = (
            time.monotonic() + timeout + max(0.0, (boundary - datetime.datetime.now(datetime.UTC)).total_seconds())
        )
        while True:
            rows = await first_task_latencies(conn, boundary)
            if len(rows) >= apps:
                await asyncio.sleep(2)  # the rest of the tick's events (ends of tries)
                return rows, events, one_dag
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(rows)} of {apps} DAGs started their first task for {boundary}")
            await asyncio.sleep(0.2)
    finally:
        await listener.close()
        await conn.close()


def supervisor_and_zygote(standalone: int) -> list[int]:
    """standalone's own process and its zygote (the one child named riir-zygote that is not an app)."""
    found = [standalone]
    for pid in measure.children_map().get(standalone, []):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == "riir-zygote":
                found.append(pid)
    return found


def next_minute(after: datetime.datetime) -> datetime.datetime:
    return after.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)


def sleep_until_idle_window(idle_seconds: float) -> datetime.datetime:
    """Sleeps until the idle window before the next tick that leaves room for it; returns that tick's minute. The
    window ends PRE_TICK_S before the minute and starts SETTLE_S from now at the earliest: the last task processes'
    exits and the bookkeeping after a run are not idle."""
    now = datetime.datetime.now(datetime.UTC)
    boundary = next_minute(now)
    if (boundary - now).total_seconds() < SETTLE_S + idle_seconds + PRE_TICK_S:
        boundary += datetime.timedelta(minutes=1)
    until_tick = (boundary - datetime.datetime.now(datetime.UTC)).total_seconds()
    time.sleep(max(0.0, until_tick - idle_seconds - PRE_TICK_S))
    return boundary


async def airflow_tick(dsn: str, boundary: datetime.datetime, dags: int, timeout: float) -> list[float]:
    """Airflow's side of measure_tick: tick -> first task started for each DAG's run at `boundary`, waiting at most
    `timeout` s after it; the DAGs whose first task had not started by then are left out (their count is printed)."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = timeout + max(0.0, (boundary - datetime.datetime.now(datetime.UTC)).total_seconds())
        started = time.monotonic()
        while True:
            rows = await first_task_latencies(conn, boundary)
            if len(rows) >= dags or time.monotonic() - started > deadline:
                if len(rows) < dags:
                    print(f"  airflow: only {len(rows)} of {dags} DAGs started their first task within {timeout:g} s")
                return rows
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


def airflow_side(dags: int, idle_seconds: float, pool_slots: int, workdir: Path) -> dict[str, Any]:
    """The same DAG files in one Airflow 3.3.2 (api-server, scheduler with LocalExecutor, dag-processor, triggerer)
    on PostgreSQL, every DAG unpaused, parallelism and default_pool as large as riir's pool: its footprint between two
    ticks and the latency of one tick, measured as riir's are."""
    files = {f"many_{i:03d}.py": dag_source(f"many_{i:03d}") for i in range(dags)}
    extra = {
        "AIRFLOW__CORE__PARALLELISM": str(pool_slots),
        "AIRFLOW__CORE__DEFAULT_POOL_TASK_SLOT_COUNT": str(pool_slots),
    }
    started = time.monotonic()
    with bench_app.airflow_system(workdir / "airflow", files, f"many_{dags - 1:03d}", extra) as system:
        wait_until(lambda: asyncio.run(count_dags(system.dsn, "many_")) >= dags, 900, f"Airflow to parse {dags} DAGs",
                   system.procs.check_alive, every=2.0)  # fmt: skip
        startup_s = time.monotonic() - started
        print(f"  airflow: {dags} DAGs parsed in {startup_s:.1f}s, load {measure.loadavg()[0]}", flush=True)
        boundary = sleep_until_idle_window(idle_seconds)
        idle = measure.sample_footprint(system.procs.pids, idle_seconds)
        conns_idle = asyncio.run(connections(system.dsn))
        cpu_before = measure.tree_cpu_seconds(system.procs.pids)
        print(f"  airflow: idle sampled; waiting for the tick at {boundary:%H:%M:%S}", flush=True)
        latencies = asyncio.run(airflow_tick(system.dsn, boundary, dags, 120))
        tick_cpu = measure.tree_cpu_seconds(system.procs.pids) - cpu_before
        system.procs.check_alive()
    return {
        "startup_s": startup_s, "idle": idle, "conns_idle": conns_idle, "latencies": latencies,
        "tick_cpu": tick_cpu,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=20, help="DAG apps (default 20; the issue's size is 200)")
    parser.add_argument(
        "--idle-seconds", type=float, default=IDLE_WINDOW_S, help=f"idle sampling window (default {IDLE_WINDOW_S:g})"
    )
    parser.add_argument(
        "--pool-slots", type=int, default=0,
        help="default_pool slots (default: one per app, so that every first task of the tick can run at once; "
        "Airflow's default of 128 would make the 73rd to 200th first tasks wait for a slot by definition)",
    )  # fmt: skip
    parser.add_argument("--no-zygote", action="store_true", help="standalone --no-zygote: an interpreter per app")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument("--riir-only", action="store_true", help="skip Airflow (the same DAG files in one Airflow)")
    args = parser.parse_args()

    pool_slots = args.pool_slots or max(args.apps, 128)
    params = {
        "apps": args.apps, "idle_seconds": args.idle_seconds, "default_pool_slots": pool_slots,
        "started_by": "standalone --no-zygote" if args.no_zygote else "standalone (zygote)",
    }  # fmt: skip
    run = measure.Run(f"many_apps_{args.apps}", params)
    workdir = Path(tempfile.mkdtemp(prefix="bench-many-"))
    procs = Processes(workdir)
    cli = riir_cli()
    try:
        with (
            private_postgres(workdir, 3 * args.apps + 30) as (server, server_pid),
            database("many_apps", server) as dsn,
        ):
            env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
            env.update(
                AIRFLOW_HOME=str(workdir),
                AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn,
                AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
                RIIR_AIRFLOW_COMPAT="1",
                AIRFLOW__CORE__DEFAULT_POOL_TASK_SLOT_COUNT=str(pool_slots),
            )
            dags = workdir / "dags"
            dags.mkdir()
            for i in range(args.apps):
                (dags / f"many_{i:03d}.py").write_text(dag_source(f"many_{i:03d}"))
            started = time.monotonic()
            command = [*cli, "standalone", "--no-broker", "--dags", str(dags)]
            procs.start("standalone", command + (["--no-zygote"] if args.no_zygote else []), env, workdir)
            registered = 0
            while registered < args.apps:
                wait_until(
                    lambda seen=registered: asyncio.run(count_dags(dsn, "many_")) > seen,  # type: ignore[misc]
                    600, f"{registered + 1} apps to register", procs.check_alive, every=0.5,
                )  # fmt: skip
                time.sleep(2)
                registered = asyncio.run(count_dags(dsn, "many_"))
                print(f"  {registered}/{args.apps} apps registered, load {measure.loadavg()[0]}", flush=True)
            startup_s = time.monotonic() - started
            conns = asyncio.run(connections(dsn))
            time.sleep(SETTLE_S)  # the apps close the fork servers they made at start-up: paused DAGs have no work
            paused = measure.sample_footprint(procs.pids, min(args.idle_seconds, 10))

            waited = asyncio.run(unpause_and_wait(dsn, args.apps, 300))
            print(f"  unpaused; the catch-up runs finished in {waited:.1f}s", flush=True)
            boundary = sleep_until_idle_window(args.idle_seconds)  # SETTLE_S after the catch-up runs at least
            asyncio.run(reset_statements(dsn))
            idle = measure.sample_footprint(procs.pids, args.idle_seconds)
            overhead_mb = sum(measure.memory_kb(pid)[1] for pid in supervisor_and_zygote(procs.pids[0])) / 1024
            idle_statements = asyncio.run(statements(dsn))
            conns_idle = asyncio.run(connections(dsn))
            cpu_before = measure.tree_cpu_seconds(procs.pids)
            db_cpu_before = measure.tree_cpu_seconds([server_pid])
            asyncio.run(reset_statements(dsn))
            print(f"  idle sampled; waiting for the tick at {boundary:%H:%M:%S}", flush=True)
            latencies, events, one_dag = asyncio.run(measure_tick(dsn, boundary, args.apps, 120))
            tick_cpu = measure.tree_cpu_seconds(procs.pids) - cpu_before
            # The metastore's backends (and its own processes) during the tick, the benchmark's listener included.
            tick_db_cpu = measure.tree_cpu_seconds([server_pid]) - db_cpu_before
            tick_statements = asyncio.run(statements(dsn))
            procs.check_alive()
    finally:
        procs.stop(grace=120)  # standalone drains its apps, then stops its zygote
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    air: dict[str, Any] = {}
    if not args.riir_only:
        print(f"airflow {AIRFLOW_VERSION}: the same {args.apps} DAG files in one installation ...", flush=True)
        air_workdir = Path(tempfile.mkdtemp(prefix="bench-many-airflow-"))
        try:
            air = airflow_side(args.apps, args.idle_seconds, pool_slots, air_workdir)
        except Exception as exc:
            run.notes.append(f"Airflow side FAILED: {exc}")
        finally:
            shutil.rmtree(air_workdir, ignore_errors=True)
    air_idle = air.get("idle")
    air_lat: list[float] = air.get("latencies") or []

    n = args.apps
    print(f"  statements of the tick, per DAG run (of {n}), most frequent first:")
    for calls, _rows, query in tick_statements[:25]:
        print(f"  {calls / n:7.2f}  {' '.join(query.split())[:130]}")
    run.figure("apps started and registered", "s", startup_s, air.get("startup_s"))
    run.figure("idle PSS per app (paused DAGs)", "MB", paused.pss_mb / n)
    run.figure("idle PSS per app (scheduled, between ticks)", "MB", idle.pss_mb / n,
               air_idle.pss_mb / n if air_idle else None, target="<= 20")  # fmt: skip
    run.figure("idle PSS, all apps", "MB", idle.pss_mb, air_idle.pss_mb if air_idle else None)
    run.figure("idle PSS of standalone's supervisor + zygote (in the above)", "MB", overhead_mb)
    run.figure("idle CPU, all apps together", "% of a core", idle.cpu_pct, air_idle.cpu_pct if air_idle else None,
               target="<= 2")  # fmt: skip
    run.figure("processes (all apps, idle)", "count", idle.processes, air_idle.processes if air_idle else None)
    run.figure("metastore connections per app (idle)", "count", conns_idle / n,
               air["conns_idle"] / n if air else None, target="<= 2")  # fmt: skip
    run.figure("metastore connections per app (after start)", "count", conns / n)
    run.figure(f"tick -> first task started, all {n} DAGs", "s", latencies, air_lat or None)
    run.figure("tick -> first task started, p90", "s", measure.percentile(latencies, 0.9),
               measure.percentile(air_lat, 0.9) if air_lat else None, target="<= 2")  # fmt: skip
    run.figure("tick -> first task started, max", "s", max(latencies), max(air_lat) if air_lat else None,
               target="<= 2")  # fmt: skip
    if air_lat and len(air_lat) < n:
        run.notes.append(f"Airflow: {n - len(air_lat)} of {n} DAGs had not started their first task 120 s after the "
                         "tick; their latencies are not in Airflow's cells (which are therefore too low)")  # fmt: skip
    run.figure("CPU of all apps for the tick", "s", tick_cpu, air.get("tick_cpu"))
    run.figure("CPU of all apps for the tick, per DAG run", "ms", 1000 * tick_cpu / n,
               1000 * air["tick_cpu"] / n if air else None)  # fmt: skip
    run.figure("CPU of PostgreSQL for the tick, per DAG run", "ms", 1000 * tick_db_cpu / n)
    run.figure("NOTIFY events during the tick (global channels)", "count", events)
    run.figure("NOTIFY events heard by one app during the tick", "count", one_dag)
    idle_count = sum(calls for calls, _, _ in idle_statements)
    run.figure("metastore statements per idle app per minute", "count", idle_count / n / idle.seconds * 60)
    run.figure("metastore statements for the tick, per DAG run", "count", sum(c for c, _, _ in tick_statements) / n)
    run.notes.append(
        f"{n} apps, one DAG each (cron * * * * *, one no-op task), started by {params['started_by']}, private "
        "PostgreSQL 15; memory and CPU: standalone's whole tree (supervisor, zygote, apps, fork servers); "
        "tick latency = first task start_date - run_after; cells over DAGs: median (min-max); statements counted "
        f"by pg_stat_statements (BEGIN and COMMIT included): the tick's from about {PRE_TICK_S:g} s before it to 2 s "
        "after its last first task started. Airflow (unless --riir-only): the same DAG files in one Airflow "
        f"{AIRFLOW_VERSION} (api-server, scheduler with LocalExecutor, dag-processor, triggerer; parallelism and "
        "default_pool as riir's pool), on the machine's PostgreSQL, every DAG unpaused at creation; its 'per app' "
        "cells are per DAG, its 'apps started' is until every DAG is parsed, its CPU is every Airflow process's."
    )
    print(f"results: {run.save()}")
    run.print_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
