"""`riir-airflow standalone`: everything on one machine — the metastore (embedded PostgreSQL when none is
configured), one DAG app per DAG file, and the broker when it is installed. `--demo` triggers the example DAG,
waits for it and prints what happened, then stops everything."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from riir_airflow._internal.dagbag import list_py_files


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RIIR_AIRFLOW_COMPAT": os.environ.get("RIIR_AIRFLOW_COMPAT", "1")}
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "riir_airflow", *args], stdout=out, stderr=subprocess.STDOUT, env=env
        )


def _dag_files(folder: str) -> list[str]:
    from riir_airflow._internal.dagbag import might_contain_dag

    return [p for p in list_py_files(folder) if might_contain_dag(p, True)]


async def _wait_run(dag_id: str, run_id: str, timeout: float) -> tuple[str, list[Any], Any]:
    from riir_airflow.metastore import queries
    from riir_airflow.metastore.pool import create_pool, resolve_settings

    db = await create_pool(resolve_settings())
    try:
        deadline = time.monotonic() + timeout
        while True:
            run = await queries.get_dag_run(db, dag_id, run_id)
            if run is not None and run.state in ("success", "failed"):
                tis = await queries.list_task_instances(
                    db, dag_id=dag_id, run_id=run_id, order_by=["task_id", "map_index"], limit=1000
                )
                xcom = await queries.list_xcoms(db, dag_id=dag_id, run_id=run_id, task_id="load", limit=10)
                return run.state, tis.items, [x.value for x in xcom.items]
            if time.monotonic() > deadline:
                return "timeout", [], None
            await asyncio.sleep(0.2)
    finally:
        await db.close()


def cmd_standalone(args: argparse.Namespace) -> int:
    from riir_airflow._internal import settings
    from riir_airflow.metastore.embedded import EmbeddedPostgres, max_connections_for
    from riir_airflow.metastore.pool import resolve_settings

    home = Path(settings.airflow_home())
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    folder = args.dags or settings.dags_folder()
    files = _dag_files(folder)
    if not files:
        print(f"error: no DAG files in {folder}", file=sys.stderr)
        return 1
    # Starts the embedded PostgreSQL when no database is configured, with room for two connections per app.
    wanted = max_connections_for(len(files))
    db = resolve_settings(max_connections=wanted)
    print(f"Metastore: {db.display_dsn}{' (embedded, under ' + str(home) + ')' if db.embedded else ''}")
    if db.embedded:
        started = EmbeddedPostgres.for_home(home).started_max_connections()
        if started < wanted:
            print(
                f"Note: the embedded PostgreSQL already runs with max_connections={started}; {len(files)} apps may "
                f"want up to {wanted}. Apps wait for a free connection; `riir-airflow db embedded stop` and a new "
                "start size it for this folder."
            )
    subprocess.run([sys.executable, "-m", "riir_airflow", "db", "migrate"], check=True, stdout=subprocess.DEVNULL)
    procs: list[subprocess.Popen[bytes]] = []
    for path in files:
        procs.append(_spawn(["app", path], logs / f"app-{Path(path).stem}.log"))
        print(f"App for {path} started (log: {logs / ('app-' + Path(path).stem + '.log')})")
    if importlib.util.find_spec("riir_airflow.broker") is not None and not args.no_broker:
        # On a laptop the broker listens on loopback unless [api] host says otherwise.
        os.environ.setdefault("AIRFLOW__API__HOST", "127.0.0.1")
        procs.append(_spawn(["broker"], logs / "broker.log"))
        port = os.environ.get("AIRFLOW__API__PORT", "8080")
        print(
            f"Broker on http://{os.environ['AIRFLOW__API__HOST']}:{port} (log and first-start admin password: "
            f"{logs / 'broker.log'})"
        )
    stop = False

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        if args.demo:
            code = _demo(args)
        else:
            while not stop and all(p.poll() is None for p in procs):
                time.sleep(0.5)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(40)
            if proc.poll() is None:
                proc.kill()
        print("Stopped")
    return code


def _demo(args: argparse.Namespace) -> int:
    run_id = f"demo__{int(time.time())}"
    conf = {"count": 6}
    time.sleep(2)  # let the apps register
    logical_date = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    trigger = [
        sys.executable, "-m", "riir_airflow", "dags", "trigger", args.demo_dag, "-r", run_id,
        "-c", json.dumps(conf), "-l", logical_date,
    ]  # fmt: skip
    for _ in range(30):
        if subprocess.run(trigger, capture_output=True).returncode == 0:
            break
        time.sleep(0.5)
    print(f"Triggered {args.demo_dag} run {run_id} with conf {conf}")
    state, tis, loaded = asyncio.run(_wait_run(args.demo_dag, run_id, 120))
    print(f"Run {run_id}: {state}")
    for ti in tis:
        index = f"[{ti.map_index}]" if ti.map_index >= 0 else ""
        duration = f"{ti.duration * 1000:.0f} ms" if ti.duration is not None else "-"
        print(f"  {ti.task_id + index:<24} {ti.state:<10} try {ti.try_number}  {duration}")
    if loaded:
        print(f"  load returned {loaded[0]}")
    return 0 if state == "success" else 1


def register(groups: Any) -> None:
    p = groups.add_parser("standalone", help="Run the metastore, one app per DAG file and the broker together")
    p.add_argument("--dags", help="DAG folder (default: [core] dags_folder)")
    p.add_argument("--demo", action="store_true", help="Trigger --demo-dag, print its result and stop")
    p.add_argument("--demo-dag", default="example_etl")
    p.add_argument("--no-broker", action="store_true")
    p.set_defaults(func=cmd_standalone)
