"""Run by real Airflow 3.3.2's interpreter: every scenario of scenarios.py under Airflow's own scheduler.

One Airflow for all scenarios: a fresh PostgreSQL database, `api-server` (REST + execution API), `scheduler`
(LocalExecutor), `dag-processor` and `triggerer` on loopback, the DAG folder a copy of dags/. The scenarios' REST
steps run in parallel threads, then extract.py reads the metastore. Prints one JSON document:
{"scenarios": {name: error or null}, "dags": {dag_id: records}, "trace": {file: lines}}. check.py caches it.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from driver import Api  # noqa: E402
from extract import dsn_env, extract, read_trace, run_scenarios  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402


def ensure_drivers():
    try:
        import asyncpg  # noqa: F401
        import psycopg2  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "psycopg2-binary", "asyncpg"], check=True)


def admin(sql):
    import psycopg2

    conn = psycopg2.connect(dsn_env())
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    # A SIGTERM (a timeout of the caller) unwinds through the finally blocks: components stopped, database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_drivers()
    name = f"riir_sched_compat_af_{uuid.uuid4().hex[:10]}"
    admin(f'CREATE DATABASE "{name}"')
    dsn = f"{dsn_env().rsplit('/', 1)[0]}/{name}"
    home = Path(os.environ.get("AIRFLOW_HOME") or tempfile.mkdtemp(prefix="sc-airflow-"))
    dags, trace, logs = home / "dags", home / "trace", home / "logs-sc"
    shutil.copytree(HERE / "dags", dags)
    trace.mkdir()
    logs.mkdir()
    port = free_port()
    env = dict(
        os.environ,
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(HERE / "plugins"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn.replace("postgresql://", "postgresql+psycopg2://"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE="4",
        AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW="6",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__PARALLELISM="8",
        # The machine is small and shared: a slow answer of the execution API must not fail a task.
        AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT="60",
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__WORKERS="2",
        AIRFLOW__API_AUTH__JWT_SECRET="sched-compat-secret-" + uuid.uuid4().hex,
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="5",
        AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR="True",
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(home / "task-logs"),
        PYTHONPATH=str(dags),
        SC_TRACE=str(trace),
    )
    os.environ.update(SC_TRACE=str(trace))
    airflow = str(Path(sys.executable).parent / "airflow")
    procs = []
    try:
        subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
        for component in (["api-server", "--host", "127.0.0.1", "--port", str(port)], ["scheduler"],
                          ["dag-processor"], ["triggerer"]):  # fmt: skip
            log = open(logs / f"{component[0]}.log", "w")  # noqa: SIM115 - lives as long as the process
            procs.append(subprocess.Popen([airflow, *component], env=env, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True))  # fmt: skip

        def update_file(file_name, source):
            import psycopg2

            def versions():
                conn = psycopg2.connect(dsn)
                try:
                    cur = conn.cursor()
                    cur.execute("SELECT count(*) FROM dag_version WHERE dag_id = %s", (file_name[:-3],))
                    return cur.fetchone()[0]
                finally:
                    conn.close()

            before = versions()
            shutil.copy(source, dags / file_name)
            api.wait(f"a new version of {file_name}", lambda: versions() > before, 180)

        api = Api(f"http://127.0.0.1:{port}", update_file=update_file, timeout=900, concurrency=2, poll=3)
        api.wait("the api-server", lambda: _up(api), 300)
        dag_ids = sorted({d for sc in SCENARIOS.values() for d in sc.dag_ids})
        for dag_id in dag_ids:
            api.wait_dag(dag_id, 300)
        started = time.monotonic()
        errors = run_scenarios(api, SCENARIOS.values(), on_error=lambda n, tb: print(f"[{n}] {tb}", file=sys.stderr))
        print(f"scenarios took {time.monotonic() - started:.0f}s", file=sys.stderr)
        result = {"scenarios": errors, "dags": extract(dsn, dag_ids), "trace": read_trace(trace)}
        keep = os.environ.get("RIIR_SCHED_COMPAT_KEEP_LOGS")  # the components' and tasks' logs, for a post-mortem
        if keep:
            shutil.copytree(home, keep, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.sock"))
    except BaseException:
        for log in sorted(logs.iterdir()):
            print(f"--- {log.name}\n{log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        stop(procs)
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(result))


def stop(procs):
    """SIGTERM to each component's process group (its workers too), SIGKILL after 30 s."""
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 30
    for proc in procs:
        try:
            proc.wait(max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _up(api):
    try:
        api.call("GET", "/version")
        return True
    except Exception:
        return False


if __name__ == "__main__":
    main()
