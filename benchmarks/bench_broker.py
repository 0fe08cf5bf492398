"""Broker throughput: requests per second for list-dags and list-task-instances with 1,000 DAGs and 100,000 task
instances in the metastore (`riir-airflow broker`, granian, on a loopback port).

    python benchmarks/bench_broker.py [--seconds 5] [--concurrency 16] [--workers 1]

The load generator runs on the same machine (it competes with the server for the CPUs), so the numbers are a lower
bound. asyncpg negotiates TLS by default even on loopback, which halves throughput here: the benchmark disables it
(`?sslmode=disable`) unless --ssl is given. Real Airflow's api-server on the same data is not measured here yet
(loading 100,000 task instances into its database needs its ORM).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from tests.broker.conftest import free_port, prepare_database  # noqa: E402
from tests.conftest import temporary_database  # noqa: E402

DAGS = 1_000
RUN = "scheduled__2026-01-01"
TIS_PER_DAG = 100


async def fill(dsn: str) -> None:
    """1,000 DAGs (each with the example's serialized version), one run each with 100 task instances."""
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            """
            INSERT INTO dag (dag_id, fileloc, owners, tags, is_paused, timetable_summary)
            SELECT 'bench_' || lpad(i::text, 4, '0'), '/dags/bench.py', 'airflow', ARRAY['bench'], false, '@daily'
            FROM generate_series(1, $1) i;
            """,
            DAGS,
        )
        await conn.execute(
            """
            INSERT INTO dag_version (id, dag_id, version_number, dag_hash, data, bundle_name)
            SELECT gen_random_uuid(), d.dag_id, 1, v.dag_hash, v.data, v.bundle_name
            FROM dag d, (SELECT * FROM dag_version LIMIT 1) v WHERE d.dag_id LIKE 'bench_%';
            INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, state, dag_version_id)
            SELECT v.dag_id, 'scheduled__2026-01-01', 'scheduled', '2026-01-01', 'success', v.id
            FROM dag_version v WHERE v.dag_id LIKE 'bench_%';
            """
        )
        await conn.execute(
            """
            INSERT INTO task_instance (id, dag_id, run_id, task_id, state, try_number, operator, dag_version_id,
                start_date, end_date, duration)
            SELECT gen_random_uuid(), r.dag_id, r.run_id, 'task_' || t, 'success', 1, 'PythonOperator',
                r.dag_version_id, now(), now(), 1.0
            FROM dag_run r, generate_series(1, $1) t WHERE r.dag_id LIKE 'bench_%';
            ANALYZE;
            """.replace("$1", str(TIS_PER_DAG))
        )
        count = await conn.fetchval("SELECT count(*) FROM task_instance")
        print(f"metastore: {await conn.fetchval('SELECT count(*) FROM dag')} DAGs, {count} task instances")
    finally:
        await conn.close()


async def hammer(url: str, token: str, path: str, seconds: float, concurrency: int) -> tuple[float, float]:
    """(requests per second, mean latency in ms) over `seconds` with `concurrency` clients."""
    done = 0
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                start = time.monotonic()
                response = await client.get(path)
                response.raise_for_status()
                latencies.append(time.monotonic() - start)
                done += 1

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - start
    return done / elapsed, 1000 * sum(latencies) / max(len(latencies), 1)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--ssl", action="store_true", help="let asyncpg negotiate TLS on loopback (its default)")
    args = parser.parse_args()
    async with temporary_database() as dsn:
        await fill(dsn)
        with tempfile.TemporaryDirectory() as home:
            (Path(home) / "pw.json").write_text(json.dumps({"admin": "pw"}))
            port = free_port()
            database = dsn if args.ssl else f"{dsn}?sslmode=disable"
            env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
                   "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
                   "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(Path(home) / "pw.json")}  # fmt: skip
            command = [sys.executable, "-m", "riir_airflow.cli.main", "broker", "--host", "127.0.0.1", "--port",
                       str(port), "--workers", str(args.workers)]  # fmt: skip
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
                for name, path in (
                    ("list dags (limit 100)", "/api/v2/dags?limit=100"),
                    ("list task instances (limit 100, ~/~)", "/api/v2/dags/~/dagRuns/~/taskInstances?limit=100"),
                    ("list task instances of one run", f"/api/v2/dags/bench_0500/dagRuns/{RUN}/taskInstances"),
                ):  # fmt: skip
                    rps, latency = await hammer(url, token["access_token"], path, args.seconds, args.concurrency)
                    print(f"riir broker  {name:40s} {rps:8.1f} req/s   mean latency {latency:7.1f} ms")
            finally:
                server.terminate()
                server.wait(30)


if __name__ == "__main__":
    asyncio.run(main())
