"""UI server time: the Dags list with 1,000 DAGs (10 runs each) and the grid of a 100-task DAG over 100 runs, side by
side with the calls Airflow 3.3.2's React UI makes for the same pages, on the same data.

    python benchmarks/bench_ui.py [--requests 20] [--riir-only]

riir: a real broker (`riir-airflow broker`, one process) on a loopback port over a private database; each page's
HTML is rendered in full (the list's first page of 25 DAGs with their recent-runs strips and app health; the grid
fragment with 100 runs x 100 tasks in 10 task groups = 10,000 cells). Server time is the broker's own
`Server-Timing` header (wall and CPU time inside the process); wall time is the client's, on a kept-alive
connection.
Airflow: `airflow db migrate` on a fresh PostgreSQL database, the same DAGs written as 1,001 files and serialized by
`airflow dags reserialize`, the same runs and task instances inserted with SQL, then `airflow api-server` (one
worker) serves what its UI fetches: the Dags list page = `GET /ui/dags?limit=25` (runs strip included); the grid =
`/ui/grid/structure/{dag}`, `/ui/grid/runs/{dag}` and `/ui/grid/ti_summaries/{dag}?run_ids=...` (100 runs), timed
one after the other and summed. Airflow sends no Server-Timing; its server time is the loopback wall time, and the
CPU of its api-server process tree per page is measured for both sides the same way (/proc).
Requests go one at a time after 2 warm-ups; every request is one repetition (min/median/max over `--requests`).
Target (issue 15): under 100 ms of server time each.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import airflow_side  # noqa: E402
import asyncpg  # noqa: E402
import harness  # noqa: E402
import httpx  # noqa: E402
import measure  # noqa: E402
import pendulum  # noqa: E402

from riir_airflow.broker import timing as server_timing  # noqa: E402
from riir_airflow.metastore.migrate import migrate  # noqa: E402
from riir_airflow.providers.standard.operators.empty import EmptyOperator  # noqa: E402
from riir_airflow.sdk import DAG, TaskGroup  # noqa: E402
from riir_airflow.serialization.serialized_dag import dag_hash, serialize_dag  # noqa: E402

DAGS = 1_000
RUNS_PER_DAG = 10
GRID_DAG = "bench_grid"
GRID_RUNS = 100
GRID_GROUPS = 10
TASKS_PER_GROUP = 10


def grid_document() -> dict[str, object]:
    """A 100-task DAG: 10 task groups of 10 chained tasks, the groups chained too."""
    with DAG(GRID_DAG, schedule="@daily", start_date=pendulum.datetime(2025, 1, 1)) as dag:
        previous = None
        for g in range(GRID_GROUPS):
            with TaskGroup(f"group_{g}") as group:
                chain = [EmptyOperator(task_id=f"task_{t}") for t in range(TASKS_PER_GROUP)]
                for up, down in itertools.pairwise(chain):
                    up >> down
            if previous is not None:
                previous >> group
            previous = group
    return serialize_dag(dag)


async def fill(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        document = grid_document()
        cron = "airflow.timetables.interval.CronDataIntervalTimetable"
        small = {"__version": 1, "dag_id": "x", "tasks": [], "task_group": {"group_id": None, "children": []},
                 "schedule": {"timetable": {"__type": cron}}}  # fmt: skip
        await conn.execute(
            """
            INSERT INTO dag (dag_id, fileloc, owners, tags, is_paused, timetable_summary, app_id)
            SELECT 'bench_' || lpad(i::text, 4, '0'), '/dags/bench.py', 'airflow', ARRAY['bench', 't' || (i % 7)],
                   i % 5 = 0, '@daily', 'app_' || i
            FROM generate_series(1, $1) i;
            INSERT INTO app (id, name, dag_ids, state)
            SELECT 'app_' || i, 'bench.py', ARRAY['bench_' || lpad(i::text, 4, '0')], 'running'
            FROM generate_series(1, $1) i;
            """.replace("$1", str(DAGS))
        )
        await conn.execute(
            "INSERT INTO dag_version (id, dag_id, version_number, dag_hash, data) "
            "SELECT gen_random_uuid(), dag_id, 1, 'h', $1::jsonb FROM dag",
            json.dumps(small),
        )
        await conn.execute(
            """
            INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, run_after, start_date, end_date, state)
            SELECT d.dag_id, 'scheduled__' || r, 'scheduled', '2026-01-01'::timestamptz + r * interval '1 day',
                   '2026-01-01'::timestamptz + r * interval '1 day', now(), now() + interval '3 seconds',
                   CASE WHEN r % 9 = 0 THEN 'failed' ELSE 'success' END
            FROM dag d, generate_series(1, $1) r;
            """.replace("$1", str(RUNS_PER_DAG))
        )
        await conn.execute(
            "INSERT INTO dag (dag_id, fileloc, owners, is_paused, timetable_summary) "
            "VALUES ($1, '/dags/grid.py', 'airflow', false, '@daily')",
            GRID_DAG,
        )
        await conn.execute(
            "INSERT INTO dag_version (id, dag_id, version_number, dag_hash, data) "
            "VALUES (gen_random_uuid(), $1, 1, $2, $3::jsonb)",
            GRID_DAG, dag_hash(document), json.dumps(document),
        )  # fmt: skip
        await conn.execute(
            f"""
            INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, run_after, start_date, end_date, state)
            SELECT '{GRID_DAG}', 'scheduled__' || r, 'scheduled', '2025-01-01'::timestamptz + r * interval '1 day',
                   '2025-01-01'::timestamptz + r * interval '1 day', now(), now() + interval '90 seconds', 'success'
            FROM generate_series(1, {GRID_RUNS}) r;
            INSERT INTO task_instance (id, dag_id, run_id, task_id, state, try_number, operator, start_date,
                end_date, duration)
            SELECT gen_random_uuid(), '{GRID_DAG}', r.run_id, t.task_id, 'success', 1, 'EmptyOperator', now(), now(),
                0.5
            FROM dag_run r, (SELECT jsonb_array_elements($1::jsonb) ->> 'task_id' AS task_id) t
            WHERE r.dag_id = '{GRID_DAG}';
            ANALYZE;
            """.replace("$1", "'" + json.dumps(document["tasks"]).replace("'", "''") + "'")
        )
        tis = await conn.fetchval("SELECT count(*) FROM task_instance")
        runs = await conn.fetchval("SELECT count(*) FROM dag_run")
        print(f"metastore: {await conn.fetchval('SELECT count(*) FROM dag')} DAGs, {runs} runs, {tis} task instances")
    finally:
        await conn.close()


# --- Airflow's copy of the same data -------------------------------------------------------------------------------
def airflow_dag_files() -> dict[str, str]:
    """The same DAGs as Airflow DAG files: bench_0001..bench_1000 (tags, owner, @daily, one task) and the grid DAG
    (10 groups of 10 chained tasks)."""
    files = {}
    for i in range(1, DAGS + 1):
        files[f"bench_{i:04d}.py"] = (
            "import pendulum\nfrom airflow.sdk import DAG\nfrom airflow.providers.standard.operators.empty import "
            f"EmptyOperator\nwith DAG('bench_{i:04d}', schedule='@daily', start_date=pendulum.datetime(2025, 1, 1), "
            f"catchup=False, tags=['bench', 't{i % 7}']):\n    EmptyOperator(task_id='task')\n"
        )
    files["bench_grid.py"] = f"""import itertools
import pendulum
from airflow.sdk import DAG, TaskGroup
from airflow.providers.standard.operators.empty import EmptyOperator
with DAG({GRID_DAG!r}, schedule="@daily", start_date=pendulum.datetime(2025, 1, 1), catchup=False):
    previous = None
    for g in range({GRID_GROUPS}):
        with TaskGroup(f"group_{{g}}") as group:
            chain = [EmptyOperator(task_id=f"task_{{t}}") for t in range({TASKS_PER_GROUP})]
            for up, down in itertools.pairwise(chain):
                up >> down
        if previous is not None:
            previous >> group
        previous = group
"""
    return files


def airflow_fill(air: airflow_side.AirflowMetastore, task_ids: list[str]) -> None:
    """The runs and task instances riir's fill() writes, into Airflow's tables."""
    ids = "ARRAY[" + ",".join("'" + t.replace("'", "''") + "'" for t in task_ids) + "]::text[]"
    air.sql(f"""
        UPDATE dag SET is_paused = substr(dag_id, 7)::int % 5 = 0, owners = 'airflow' WHERE dag_id ~ '^bench_[0-9]+$';
        INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, run_after, queued_at, start_date, end_date, state,
            data_interval_start, data_interval_end, created_dag_version_id, clear_number, span_status)
        SELECT v.dag_id, 'scheduled__' || r, 'scheduled', '2026-01-01'::timestamptz + r * interval '1 day',
               '2026-01-01'::timestamptz + r * interval '1 day', now(), now(), now() + interval '3 seconds',
               CASE WHEN r % 9 = 0 THEN 'failed' ELSE 'success' END,
               '2026-01-01'::timestamptz + (r - 1) * interval '1 day', '2026-01-01'::timestamptz + r * interval '1 day',
               v.id, 0, 'not_started'
        FROM dag_version v, generate_series(1, {RUNS_PER_DAG}) r WHERE v.dag_id ~ '^bench_[0-9]+$';
        INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, run_after, queued_at, start_date, end_date, state,
            data_interval_start, data_interval_end, created_dag_version_id, clear_number, span_status)
        SELECT v.dag_id, 'scheduled__' || r, 'scheduled', '2025-01-01'::timestamptz + r * interval '1 day',
               '2025-01-01'::timestamptz + r * interval '1 day', now(), now(), now() + interval '90 seconds',
               'success', '2025-01-01'::timestamptz + (r - 1) * interval '1 day',
               '2025-01-01'::timestamptz + r * interval '1 day', v.id, 0, 'not_started'
        FROM dag_version v, generate_series(1, {GRID_RUNS}) r WHERE v.dag_id = '{GRID_DAG}';
        INSERT INTO task_instance (id, dag_id, run_id, task_id, map_index, state, try_number, max_tries, pool,
            pool_slots, queue, priority_weight, operator, custom_operator_name, start_date, end_date, duration,
            dag_version_id, hostname, unixname, span_status)
        SELECT gen_random_uuid(), r.dag_id, r.run_id, t.task_id, -1, 'success', 1, 0, 'default_pool', 1, 'default', 1,
               'EmptyOperator', 'EmptyOperator', now(), now(), 0.5, r.created_dag_version_id, 'bench', 'airflow',
               'not_started'
        FROM dag_run r, unnest({ids}) t(task_id) WHERE r.dag_id = '{GRID_DAG}';
        ANALYZE;
    """)


# --- measuring ------------------------------------------------------------------------------------------------------
Results = dict[str, dict[str, dict[str, list[float]]]]  # page -> side -> measure -> values


def riir_page(client: httpx.Client, path: str, requests: int, pid: int) -> dict[str, list[float]]:
    """Per request: wall ms (client), app and cpu ms (Server-Timing); and the broker tree's CPU ms per request."""
    for _ in range(2):
        client.get(path).raise_for_status()
    out: dict[str, list[float]] = {"wall": [], "app": [], "cpu": []}
    cpu_before = measure.tree_cpu_seconds([pid])
    size = 0
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path)
        out["wall"].append(1000 * (time.perf_counter() - start))
        response.raise_for_status()
        timing = server_timing.parse(response.headers["server-timing"])
        out["app"].append(timing["app"])
        out["cpu"].append(timing["cpu"])
        size = len(response.content)
    out["tree_cpu"] = [1000 * (measure.tree_cpu_seconds([pid]) - cpu_before) / requests]
    out["bytes"] = [float(size)]
    return out


def airflow_page(client: httpx.Client, paths: list[str], requests: int, pid: int) -> dict[str, list[float]]:
    """Per page load (its calls one after the other): wall ms; and the api-server tree's CPU ms per page."""
    for _ in range(2):
        for path in paths:
            client.get(path).raise_for_status()
    out: dict[str, list[float]] = {"wall": []}
    cpu_before = measure.tree_cpu_seconds([pid])
    size = 0
    for _ in range(requests):
        start = time.perf_counter()
        size = 0
        for path in paths:
            response = client.get(path)
            response.raise_for_status()
            size += len(response.content)
        out["wall"].append(1000 * (time.perf_counter() - start))
    out["tree_cpu"] = [1000 * (measure.tree_cpu_seconds([pid]) - cpu_before) / requests]
    out["bytes"] = [float(size)]
    return out


GRID_CALLS = [
    f"/ui/grid/structure/{GRID_DAG}?limit={GRID_RUNS}&order_by=-run_after",
    f"/ui/grid/runs/{GRID_DAG}?limit={GRID_RUNS}&order_by=-run_after",
    f"/ui/grid/ti_summaries/{GRID_DAG}?" + "&".join(f"run_ids=scheduled__{r}" for r in range(1, GRID_RUNS + 1)),
]
PAGES = {  # name -> (riir path, the calls Airflow's UI makes for the same page)
    f"Dags list, {DAGS} DAGs, page 1": ("/dags", ["/ui/dags?limit=25&offset=0"]),
    f"grid, {GRID_RUNS} runs x 100 tasks": (f"/dags/{GRID_DAG}/grid?runs={GRID_RUNS}", GRID_CALLS),
}
RIIR_ONLY_PAGES = {  # riir pages with no single Airflow counterpart, measured for the server-time target
    "Dags list, search, page 3": "/dags?search=bench_0&page=3",
    f"Dag page (grid {GRID_RUNS} runs + graph)": f"/dags/{GRID_DAG}?runs={GRID_RUNS}",
}


def bench_riir(requests: int, results: Results) -> None:
    with harness.database("bench_ui") as dsn, tempfile.TemporaryDirectory() as home:
        asyncio.run(fill(dsn))
        (Path(home) / "pw.json").write_text(json.dumps({"admin": "pw"}))
        port = harness.free_port()
        env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"{dsn}?sslmode=disable",
               "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
               "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(Path(home) / "pw.json")}  # fmt: skip
        command = [*harness.riir_cli(), "broker", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        procs = harness.Processes(Path(home))
        server = procs.start("broker", command, env, Path(home))
        url = f"http://127.0.0.1:{port}"
        try:

            def up() -> bool:
                try:
                    return httpx.get(f"{url}/api/v2/version").status_code == 200
                except httpx.TransportError:
                    return False

            harness.wait_until(up, 60, "the broker", procs.check_alive)
            token = httpx.post(f"{url}/auth/token", json={"username": "admin", "password": "pw"}).json()
            with httpx.Client(base_url=url, cookies={"_token": token["access_token"]}, timeout=60) as client:
                for name, (path, _) in PAGES.items():
                    results.setdefault(name, {})["riir"] = riir_page(client, path, requests, server.pid)
                for name, path in RIIR_ONLY_PAGES.items():
                    results.setdefault(name, {})["riir"] = riir_page(client, path, requests, server.pid)
        finally:
            procs.stop()


def bench_airflow(requests: int, results: Results) -> None:
    task_ids = [str(t["task_id"]) for t in grid_document()["tasks"]]  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp, airflow_side.airflow_metastore(Path(tmp), airflow_dag_files()) as air:
        started = time.monotonic()
        airflow_fill(air, task_ids)
        counts = air.scalar("SELECT (SELECT count(*) FROM dag) || ' DAGs, ' || (SELECT count(*) FROM dag_run) || "
                            "' runs, ' || (SELECT count(*) FROM task_instance) || ' task instances'")  # fmt: skip
        print(f"airflow metastore: {counts} ({time.monotonic() - started:.0f}s)", flush=True)
        with air.api_server() as client:
            for name, (_, paths) in PAGES.items():
                results.setdefault(name, {})["airflow"] = airflow_page(client, paths, requests, air.server_pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, help="requests per page and side (default 20)")
    parser.add_argument("--riir-only", action="store_true", help="skip Airflow")
    args = parser.parse_args()
    # SIGTERM (a stopped run) unwinds like Ctrl-C: servers stopped, databases dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run = measure.Run("ui", {"dags": DAGS, "grid": f"{GRID_RUNS} runs x 100 tasks", "requests": args.requests})
    results: Results = {}
    bench_riir(args.requests, results)
    if not args.riir_only:
        bench_airflow(args.requests, results)
    for name, sides in results.items():
        riir, air = sides["riir"], sides.get("airflow")
        run.figure(f"{name}: broker server time (Server-Timing)", "ms", riir["app"], target="< 100")
        run.figure(f"{name}: broker CPU in the request (Server-Timing)", "ms", riir["cpu"])
        run.figure(f"{name}: wall time per page", "ms", riir["wall"], air["wall"] if air else None)
        run.figure(f"{name}: server CPU per page (/proc)", "ms", riir["tree_cpu"], air["tree_cpu"] if air else None)
        run.figure(f"{name}: bytes per page", "KiB", riir["bytes"][0] / 1024, air["bytes"][0] / 1024 if air else None)
    run.notes.append(
        "riir: the broker's Server-Timing (wall and CPU inside the process) and the client's wall time; Airflow: "
        "the API calls its UI makes for the same page (Dags list: /ui/dags?limit=25; grid: /ui/grid/structure, "
        "/ui/grid/runs and /ui/grid/ti_summaries for 100 runs, one after the other), client wall time. Server CPU = "
        "the server's process tree CPU time per page from /proc. One request at a time, one worker each, loopback."
    )
    print(f"results: {run.save()}")
    run.print_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
