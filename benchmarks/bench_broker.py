"""Broker throughput under concurrent clients: requests per second and latency (p50, p99) of the same REST queries
with 1,000 DAGs and 100,000 task instances in the metastore, `riir-airflow broker` (granian) side by side with Airflow
3.3.2's `airflow api-server` (uvicorn) on the same rows, each on a loopback port, at 1, 4 and 16 concurrent clients.

    python benchmarks/bench_broker.py [--seconds 3] [--concurrency 1,4,16] [--workers 1] [--repeat 3] [--riir-only]

Both servers run at once, each on its own metastore. Each endpoint is hammered by N clients (keep-alive
connections, one bearer token made by the server's own /auth/token) for `--seconds`, `--repeat` times per
concurrency level, the two sides' windows alternating (riir, Airflow, riir, ...) so that a change of the machine's
load falls on both. Requests/s cells are over those windows, p50 and p99 over every request of the level; CPU time
per request over every window of the endpoint, for the server's process tree and for the PostgreSQL backends
connected to its database (utime + stime: less sensitive to other load on the machine than wall time). The load
generator (benchmarks/http_load.py: keep-alive GETs over asyncio streams; until 2026-12-07 httpx, whose own CPU per
request was about that of riir's broker, and at 1 client a request's latency is the client's time plus the
server's) runs on the same machine and competes with the servers for the CPUs, so the numbers are a lower bound for
both sides; its CPU per request is printed beside the servers'.

Settings that are the same on both sides: one server worker, a metastore pool of `sql_alchemy_pool_size` 5 +
`sql_alchemy_max_overflow` 20 (more connections than clients: Airflow's default overflow of 10 makes a 16th client
wait on SQLAlchemy's pool until its 30 s timeout answers 500), asyncpg without TLS on loopback for riir
(`?sslmode=disable`, unless --ssl; it halves riir's throughput here).

Airflow's api-server runs with Python's cyclic garbage collector disabled (a `sitecustomize` on its PYTHONPATH):
with it, the api-server process dies of a segmentation fault within seconds of concurrent (often even sequential)
list requests on this machine, which is why earlier runs saw it "stop accepting connections". Python's faulthandler
shows the collector running in one of anyio's worker threads while SQLAlchemy builds rows or ORM instances
("Garbage-collecting" on top of the stack); a core file shows a full (generation 2) collection visiting a dict entry
that points to freed memory (some extension dropped a reference it did not own). It happens also with SQLAlchemy's
compiled extensions off (DISABLE_SQLALCHEMY_CEXT_RUNTIME=1) and without uvloop, never with the collector off. A
disabled collector can only save Airflow work, so the ratio is if anything in Airflow's favour; the faulthandler
stays on, so any crash still leaves its trace in the log this benchmark prints.

Airflow's rows: its 1,000 DAGs serialized by `airflow dags reserialize` (one generated file), runs and task instances
inserted with SQL into the tables `airflow db migrate` made (benchmarks/airflow_side.py). On both sides the task
instances name tasks (task_1..task_100) that the DAGs' serialized versions do not hold; neither list endpoint looks
them up. Single-client latency percentiles on a 1,000,000-row history are bench_history.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import airflow_side  # noqa: E402
import asyncpg  # noqa: E402
import http_load  # noqa: E402
import httpx  # noqa: E402
import measure  # noqa: E402
from harness import riir_cli  # noqa: E402
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


AIRFLOW_DAGS = f"""
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

for i in range(1, {DAGS} + 1):
    with DAG(f"bench_{{i:04d}}", schedule="@daily", start_date=pendulum.datetime(2025, 1, 1), catchup=False,
             tags=["bench"]) as dag:
        EmptyOperator(task_id="task_1")
    globals()[f"dag_{{i}}"] = dag
"""

AIRFLOW_FILL = f"""
INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, run_after, queued_at, start_date, end_date, state,
    data_interval_start, data_interval_end, created_dag_version_id, clear_number, span_status)
SELECT v.dag_id, '{RUN}', 'scheduled', '2026-01-01', '2026-01-01', now(), now(), now(), 'success',
       '2025-12-31', '2026-01-01', v.id, 0, 'not_started'
FROM dag_version v WHERE v.dag_id LIKE 'bench_%';
INSERT INTO task_instance (id, dag_id, run_id, task_id, map_index, state, try_number, max_tries, pool, pool_slots,
    queue, priority_weight, operator, custom_operator_name, start_date, end_date, duration, dag_version_id, hostname,
    unixname, span_status)
SELECT gen_random_uuid(), r.dag_id, r.run_id, 'task_' || t, -1, 'success', 1, 0, 'default_pool', 1, 'default', 1,
    'PythonOperator', 'PythonOperator', now(), now(), 1.0, r.created_dag_version_id, 'bench', 'airflow', 'not_started'
FROM dag_run r, generate_series(1, {TIS_PER_DAG}) t WHERE r.dag_id LIKE 'bench_%';
ANALYZE;
"""

ENDPOINTS = [
    ("list dags (limit 100)", "/api/v2/dags?limit=100"),
    ("list task instances (limit 100, ~/~)", "/api/v2/dags/~/dagRuns/~/taskInstances?limit=100"),
    ("list task instances of one run", f"/api/v2/dags/bench_0500/dagRuns/{RUN}/taskInstances"),
]

# The same on both sides: more pooled connections than clients (see the module's docstring).
POOL_ENV = {"AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "5", "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW": "20"}


@dataclass
class Level:
    """One endpoint at one concurrency: requests/s of each window, every request's latency, requests dropped."""

    rates: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    dropped: int = 0

    def percentile(self, q: float) -> float | None:
        return measure.percentile(self.latencies_ms, q) if self.latencies_ms else None


@dataclass
class Endpoint:
    levels: dict[int, Level] = field(default_factory=dict)  # by number of clients
    requests: int = 0
    server_cpu_s: float = 0.0  # the server's process tree, over every window of every level
    database_cpu_s: float = 0.0  # the PostgreSQL backends of its metastore, over the same windows
    client_cpu_s: float = 0.0  # the load generator (this process), over the same windows

    def per_request_ms(self, seconds: float) -> float | None:
        return 1000 * seconds / self.requests if self.requests else None


Side = dict[str, Endpoint]  # by endpoint name; an endpoint missing: the server went away before it was measured


async def hammer(connections: list[http_load.Connection], path: str, seconds: float) -> tuple[float, list[float], int]:
    """(requests per second, each request's latency in ms, requests the server dropped) over `seconds`, one client
    per connection. A dropped request (the server closed or reset the connection without answering) is counted
    apart, not as a request served; a server that stops accepting connections fails the benchmark."""
    done = dropped = 0
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker(conn: http_load.Connection) -> None:
        nonlocal done, dropped
        while time.monotonic() < deadline:
            start = time.monotonic()
            try:
                await conn.get(path)
            except http_load.Dropped:
                dropped += 1
                continue
            latencies.append(1000 * (time.monotonic() - start))
            done += 1

    start = time.monotonic()
    await asyncio.gather(*(worker(conn) for conn in connections))
    return done / (time.monotonic() - start), latencies, dropped


@dataclass
class Server:
    """A side's running server: where to send requests, with which token, and its process (for its CPU time)."""

    who: str
    url: str
    headers: dict[str, str]
    pid: int
    database: str  # its metastore's name, to find the PostgreSQL backends that serve it
    measured: Side = field(default_factory=dict)
    gone: str = ""  # set when it stopped accepting connections


async def measure_all(servers: list[Server], args: argparse.Namespace) -> None:
    """Every endpoint at every concurrency level, the sides' windows alternating (riir, Airflow, riir, ...) so that
    a change of the machine's load falls on both, `--repeat` windows per side after a warm-up request each."""
    for name, path in ENDPOINTS:
        for clients in args.concurrency:
            # One keep-alive connection per client (http_load.py); a connection idle for more than 1 s is replaced
            # before use, before a server's keep-alive timeout can close it under a request sent on it.
            live = [server for server in servers if not server.gone]
            clients_of = {
                server.who: [http_load.connection(server.url, server.headers) for _ in range(clients)]
                for server in live
            }
            try:
                for turn in range(args.repeat + 1):  # the first turn is the warm-up
                    for server in live:
                        if not server.gone:
                            await _window(server, clients_of[server.who], name, path, clients, args, warm_up=turn == 0)
            finally:
                for connections in clients_of.values():
                    for conn in connections:
                        await conn.close()
            for server in live:
                level = server.measured.get(name, Endpoint()).levels.get(clients)
                if level is not None and not server.gone:
                    print(
                        f"{server.who:12} {name:38s} {clients:3d} clients "
                        f"{measure.stats(level.rates)['median']:8.1f} req/s   p50 {level.percentile(0.5) or 0:7.1f} ms"
                        f"   p99 {level.percentile(0.99) or 0:7.1f} ms   dropped {level.dropped}",
                        flush=True,
                    )
        for server in servers:
            if name in server.measured and not server.gone:
                endpoint = server.measured[name]
                ours, database, client = (
                    endpoint.per_request_ms(endpoint.server_cpu_s),
                    endpoint.per_request_ms(endpoint.database_cpu_s),
                    endpoint.per_request_ms(endpoint.client_cpu_s),
                )
                print(
                    f"{server.who:12} {name:38s} CPU per request: server {ours or 0:.1f} ms, "
                    f"PostgreSQL {database or 0:.1f} ms, the load generator {client or 0:.2f} ms",
                    flush=True,
                )


async def _window(
    server: Server, connections: list[http_load.Connection], name: str, path: str, clients: int,
    args: argparse.Namespace, warm_up: bool,
) -> None:  # fmt: skip
    """One window of `clients` concurrent clients on one server (or its warm-up request), added to its figures."""
    try:
        if warm_up:
            await connections[0].get(path)
            return
        cpu_before, database_before = measure.tree_cpu_seconds([server.pid]), backend_cpu_ticks(server.database)
        client_before = time.process_time()
        rate, each, lost = await hammer(connections, path, args.seconds)
        client_cpu = time.process_time() - client_before
    except ConnectionRefusedError:  # the server is gone: keep what was measured, the caller says why
        server.gone = f"stopped accepting connections during '{name}' at {clients} clients"
        server.measured.pop(name, None)  # measured only in part
        print(f"{server.who:12} {name:38s} the server {server.gone}", flush=True)
        return
    endpoint = server.measured.setdefault(name, Endpoint())
    endpoint.server_cpu_s += measure.tree_cpu_seconds([server.pid]) - cpu_before
    endpoint.client_cpu_s += client_cpu
    database_after = backend_cpu_ticks(server.database)
    endpoint.database_cpu_s += (
        sum(t - database_before.get(pid, 0) for pid, t in database_after.items()) / measure.CLK_TCK
    )
    endpoint.requests += len(each)
    level = endpoint.levels.setdefault(clients, Level())
    level.rates.append(rate)
    level.latencies_ms.extend(each)
    level.dropped += lost


def backend_cpu_ticks(database: str) -> dict[int, int]:
    """CPU ticks so far of each PostgreSQL backend connected to `database` (found by its process title, "postgres:
    ... user database host(port) state"). A backend that exits within a window takes its CPU time with it, so a
    window's sum over the backends alive at its end is a lower bound; pooled connections mostly live on."""
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            title = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database} " in title:
            ticks[int(entry)] = measure.cpu_ticks(int(entry), with_reaped_children=False)
    return ticks


@contextlib.asynccontextmanager
async def riir_broker(args: argparse.Namespace) -> AsyncIterator[Server]:
    async with temporary_database() as dsn:
        await fill(dsn)
        with tempfile.TemporaryDirectory() as home:
            (Path(home) / "pw.json").write_text(json.dumps({"admin": "pw"}))
            port = free_port()
            database = dsn if args.ssl else f"{dsn}?sslmode=disable"
            env = {**os.environ, **POOL_ENV, "AIRFLOW_HOME": home, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
                   "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
                   "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(Path(home) / "pw.json")}  # fmt: skip
            command = [*riir_cli(), "broker", "--host", "127.0.0.1", "--port", str(port), "--workers",
                       str(args.workers)]  # fmt: skip
            server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            url = f"http://127.0.0.1:{port}"
            try:
                for _ in range(300):
                    try:
                        httpx.get(f"{url}/api/v2/version")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.2)
                token = httpx.post(f"{url}/auth/token", json={"username": "admin", "password": "pw"}).json()
                headers = {"Authorization": f"Bearer {token['access_token']}"}
                yield Server("riir broker", url, headers, server.pid, dsn.rsplit("/", 1)[1])
            finally:
                server.terminate()
                server.wait(30)


def without_cyclic_gc(folder: Path) -> dict[str, str]:
    """Environment that starts Python with its cyclic garbage collector off (see the module's docstring) and the
    faulthandler on, through a `sitecustomize` module in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text("import gc\n\ngc.disable()\n")
    return {"PYTHONPATH": str(folder), "PYTHONFAULTHANDLER": "1"}


@contextlib.contextmanager
def airflow_api_server(args: argparse.Namespace) -> Iterator[Server]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        airflow_side.airflow_metastore(Path(tmp), {"bench_dags.py": AIRFLOW_DAGS}) as air,
    ):
        air.sql(AIRFLOW_FILL)
        counts = air.scalar("SELECT (SELECT count(*) FROM dag) || ' DAGs, ' || "
                            "(SELECT count(*) FROM task_instance) || ' task instances'")  # fmt: skip
        print(f"airflow metastore: {counts}", flush=True)
        server_env = {**POOL_ENV, **without_cyclic_gc(Path(tmp) / "no-gc")}
        with air.api_server(workers=args.workers, extra_env=server_env) as client:
            try:
                yield Server("airflow", str(client.base_url), {"Authorization": client.headers["Authorization"]},
                             air.server_pid, air.dsn.rsplit("/", 1)[1])  # fmt: skip
            finally:  # why a server went away is in its log
                log = (air.home / "api-server.log").read_text(errors="replace").strip().splitlines()
                print("airflow api-server log, last lines:\n  " + "\n  ".join(log[-15:]), flush=True)


async def bench(args: argparse.Namespace, air: Server | None) -> Server:
    """riir's server, after measuring it alongside Airflow's (when `air` is running)."""
    async with riir_broker(args) as riir:
        await measure_all([riir] if air is None else [riir, air], args)
        return riir


def bench_both(args: argparse.Namespace) -> tuple[Server, Server | None, str]:
    """(riir's server, Airflow's or None, why Airflow's side failed to start) after measuring both. Airflow's side
    is set up first, outside any event loop (its helpers run their own)."""
    with contextlib.ExitStack() as stack:
        air, failure = None, ""
        if not args.riir_only:
            try:
                air = stack.enter_context(airflow_api_server(args))
            except Exception as error:  # riir's figures are still recorded, with the reason Airflow's are missing
                failure = f"{type(error).__name__}: {error}"
                print(f"Airflow's side failed: {failure}", flush=True)
        return asyncio.run(bench(args, air)), air, failure


def _clients(n: int) -> str:
    return f"{n} client" if n == 1 else f"{n} clients"


def record(run: measure.Run, args: argparse.Namespace, riir: Side, air: Side | None) -> dict[str, int]:
    """The figures, per endpoint: requests/s, p50 and p99 at each concurrency, then the server's CPU per request.
    Returns the requests each side's server dropped."""
    dropped = {"riir": 0, "airflow": 0}
    for name, _ in ENDPOINTS:
        ours, theirs = riir[name], (air or {}).get(name)
        for clients in args.concurrency:
            level = ours.levels[clients]
            other = theirs.levels.get(clients) if theirs else None
            dropped["riir"] += level.dropped
            dropped["airflow"] += other.dropped if other else 0
            run.figure(f"{name}: requests/s, {_clients(clients)}", "req/s", level.rates, other.rates if other else None,
                       target=">= 10x Airflow", lower_is_better=False)  # fmt: skip
            for label, q in (("p50", 0.5), ("p99", 0.99)):
                run.figure(f"{name}: latency {label}, {_clients(clients)}", "ms", level.percentile(q),
                           other.percentile(q) if other else None)  # fmt: skip
        run.figure(f"{name}: server CPU per request", "ms", ours.per_request_ms(ours.server_cpu_s),
                   theirs.per_request_ms(theirs.server_cpu_s) if theirs else None)  # fmt: skip
        run.figure(f"{name}: PostgreSQL CPU per request", "ms", ours.per_request_ms(ours.database_cpu_s),
                   theirs.per_request_ms(theirs.database_cpu_s) if theirs else None)  # fmt: skip
        run.figure(f"{name}: load generator CPU per request", "ms", ours.per_request_ms(ours.client_cpu_s),
                   theirs.per_request_ms(theirs.client_cpu_s) if theirs else None)  # fmt: skip
    return dropped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3, help="length of one window (default 3)")
    parser.add_argument("--concurrency", type=lambda v: [int(n) for n in v.split(",")], default=[1, 4, 16],
                        help="comma-separated numbers of concurrent clients (default 1,4,16)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=1, help="server workers, each side (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="windows per endpoint, level and side (default 3)")
    parser.add_argument("--ssl", action="store_true", help="let asyncpg negotiate TLS on loopback (its default)")
    parser.add_argument("--riir-only", action="store_true", help="skip Airflow")
    args = parser.parse_args()
    # SIGTERM (a stopped run) unwinds like Ctrl-C: servers stopped, databases dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run = measure.Run(
        "broker",
        {
            "dags": DAGS,
            "task_instances": DAGS * TIS_PER_DAG,
            "seconds": args.seconds,
            "concurrency": ",".join(map(str, args.concurrency)),
            "workers": args.workers,
            "repeat": args.repeat,
        },
    )
    riir_server, air_server, failure = bench_both(args)
    riir, air = riir_server.measured, air_server.measured if air_server else None
    dropped = record(run, args, riir, air)
    run.notes.append(
        f"{', '.join(map(str, args.concurrency))} concurrent clients (keep-alive, benchmarks/http_load.py) on one "
        "machine with the server, "
        f"{args.workers} server worker(s) each side, {args.repeat} windows of {args.seconds:.0f} s per endpoint and "
        "level, the sides' windows alternating (requests/s cells: over windows; p50/p99: over every request of the "
        "level; "
        "CPU: utime + stime over every window of the endpoint, per request, of the server's process tree and of the "
        "PostgreSQL backends of its database, a lower bound for the latter). riir: `riir-airflow broker` (granian); "
        "Airflow: `airflow api-server` (uvicorn) with its cyclic garbage collector off, since with it the process "
        "segfaults under these requests (see benchmarks/bench_broker.py); both: pool 5 + overflow 20, the same "
        f"{DAGS:,} DAGs and {DAGS * TIS_PER_DAG:,} task instances, PostgreSQL."
        + f" Requests the server dropped (closed without an answer; not counted as served): riir {dropped['riir']}"
        + (f", Airflow {dropped['airflow']}." if air is not None else "; Airflow not measured in this run")
        + ("" if air is not None else f" ({f'its side failed: {failure}' if failure else '--riir-only'}).")
        + (f" Airflow's api-server {air_server.gone}." if air_server and air_server.gone else "")
    )
    print(f"results: {run.save()}")
    run.print_table()
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
