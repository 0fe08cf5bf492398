"""UI server time: the Dags list with 1,000 DAGs (10 runs each) and the grid of a 100-task DAG over 100 runs.

    python benchmarks/bench_ui.py [--requests 30]

A real broker (`riir-airflow broker`, granian, one worker) on a loopback port over a private database; requests
are sent one at a time on a kept-alive connection, so the latency printed is the server's time plus a loopback
round trip. Each page's HTML is rendered in full (the list's first page of 25 DAGs with their recent-runs strips
and app health; the grid fragment with 100 runs x 100 tasks in 10 task groups = 10,000 cells).
Target (issue 15): under 100 ms each. Airflow 3.3.2's UI API (/ui/dags, /ui/grid/...) is not measured here yet:
loading the same rows needs its ORM and dag processor.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import pendulum  # noqa: E402
from tests.broker.conftest import free_port  # noqa: E402
from tests.conftest import temporary_database  # noqa: E402

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def broker_cpu(server_pid: int) -> float:
    """CPU seconds of the broker's processes (granian's supervisor and its worker)."""
    pids = [server_pid, *(int(p) for p in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split())]
    return sum(cpu_seconds(p) for p in pids)


def measure(client: httpx.Client, path: str, requests: int, pid: int) -> tuple[float, float, float, int]:
    """(median ms, p95 ms, broker CPU ms per request, response bytes) over `requests` sequential GETs."""
    for _ in range(2):
        client.get(path).raise_for_status()
    times = []
    size = 0
    cpu_before = broker_cpu(pid)
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path)
        times.append(1000 * (time.perf_counter() - start))
        response.raise_for_status()
        size = len(response.content)
    cpu = 1000 * (broker_cpu(pid) - cpu_before) / requests
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], cpu, size


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    async with temporary_database() as dsn:
        await fill(dsn)
        with tempfile.TemporaryDirectory() as home:
            (Path(home) / "pw.json").write_text(json.dumps({"admin": "pw"}))
            port = free_port()
            env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"{dsn}?sslmode=disable",
                   "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
                   "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(Path(home) / "pw.json")}  # fmt: skip
            command = [sys.executable, "-m", "riir_airflow.cli.main", "broker", "--host", "127.0.0.1", "--port",
                       str(port), "--workers", "1"]  # fmt: skip
            server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            url = f"http://127.0.0.1:{port}"
            try:
                for _ in range(150):
                    try:
                        httpx.get(f"{url}/api/v2/version")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.2)
                token = httpx.post(f"{url}/auth/token", json={"username": "admin", "password": "pw"}).json()
                with httpx.Client(base_url=url, cookies={"_token": token["access_token"]}, timeout=60) as client:
                    for name, path in (
                        (f"Dags list ({DAGS} DAGs, page 1)", "/dags"),
                        ("Dags list (search, page 3)", "/dags?search=bench_0&page=3"),
                        (f"grid fragment ({GRID_RUNS} runs x 100 tasks)", f"/dags/{GRID_DAG}/grid?runs={GRID_RUNS}"),
                        (f"Dag page (grid {GRID_RUNS} runs + graph)", f"/dags/{GRID_DAG}?runs={GRID_RUNS}"),
                    ):  # fmt: skip
                        median, p95, cpu, size = measure(client, path, args.requests, server.pid)
                        verdict = "ok" if median < 100 else "OVER 100 ms"
                        print(f"riir UI  {name:42s} median {median:7.1f} ms  p95 {p95:7.1f} ms  broker CPU "
                              f"{cpu:6.1f} ms/request  {size / 1024:6.0f} KiB  {verdict}")  # fmt: skip
                print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            finally:
                server.terminate()
                server.wait(30)


if __name__ == "__main__":
    asyncio.run(main())
