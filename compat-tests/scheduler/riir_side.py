"""riir's side of the scheduler scenarios: the broker plus one DAG app per DAG file, on a fresh PostgreSQL database.

The scenarios run in batches (BATCH scenarios at a time, each batch with its own apps) so that the apps' connections
stay well below a shared server's max_connections; every batch drives its scenarios through the broker's REST API
with the same steps as Airflow's side (driver.py), and extract.py reads the same records. Prints the same JSON as
airflow_side.py.

    python compat-tests/scheduler/riir_side.py [SCENARIO ...]
"""

from __future__ import annotations

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
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from driver import Api, ApiError  # noqa: E402
from extract import dsn_env, extract, read_trace, run_scenarios  # noqa: E402
from scenarios import SCENARIOS, Scenario  # noqa: E402

CLI = [sys.executable, "-m", "riir_airflow"]
BATCH = int(os.environ.get("RIIR_SCHED_COMPAT_BATCH", "12"))
TIMEOUT = float(os.environ.get("RIIR_SCHED_COMPAT_TIMEOUT", "60"))


def admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dsn_env())
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Side:
    """The broker and the apps of one batch, all in this side's AIRFLOW_HOME."""

    def __init__(self, home: Path, dsn: str) -> None:
        self.home, self.dsn = home, dsn
        self.dags, self.trace, self.logs = home / "dags", home / "trace", home / "logs"
        shutil.copytree(HERE / "dags", self.dags)
        self.trace.mkdir()
        self.logs.mkdir()
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        self.env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.dags),
            AIRFLOW__CORE__PLUGINS_FOLDER=str(HERE / "plugins"),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn,
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__API__PORT=str(self.port),
            AIRFLOW__API_AUTH__JWT_SECRET="sched-compat-" + uuid.uuid4().hex,
            RIIR_AIRFLOW_COMPAT="1",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(self.dags),
            SC_TRACE=str(self.trace),
        )
        os.environ["SC_TRACE"] = str(self.trace)
        self.apps: dict[str, subprocess.Popen[bytes]] = {}
        self.broker: subprocess.Popen[bytes] | None = None

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "a")  # noqa: SIM115 - lives as long as the process
        return subprocess.Popen([*CLI, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def start_broker(self) -> Api:
        subprocess.run([*CLI, "db", "migrate"], env=self.env, check=True, capture_output=True, timeout=300)
        self.broker = self._spawn("broker", ["broker", "--host", "127.0.0.1", "--port", str(self.port)])
        # A feature riir lacks shows as a wait that never ends: give up after TIMEOUT, the difference is reported.
        api = Api(f"http://127.0.0.1:{self.port}", update_file=self.update_file, timeout=TIMEOUT, poll=0.5,
                  restart=self.restart)  # fmt: skip
        api.wait("the broker", lambda: _up(api), 120)
        return api

    def start_app(self, file_name: str) -> None:
        self.apps[file_name] = self._spawn(file_name, ["app", str(self.dags / file_name)])

    def stop_app(self, file_name: str) -> None:
        proc = self.apps.pop(file_name)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def restart(self, file_name: str) -> None:
        self.stop_app(file_name)
        self.start_app(file_name)

    def update_file(self, file_name: str, source: Path) -> None:
        """A deployment of a new version: the new file, and its app restarted."""
        self.stop_app(file_name)
        shutil.copy(source, self.dags / file_name)
        self.start_app(file_name)

    def stop(self) -> None:
        for name in list(self.apps):
            self.stop_app(name)
        if self.broker is not None:
            self.broker.send_signal(signal.SIGTERM)
            try:
                self.broker.wait(30)
            except subprocess.TimeoutExpired:
                self.broker.kill()

    def log_tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-2500:]}" for p in sorted(self.logs.iterdir()))


def _up(api: Api) -> bool:
    try:
        api.call("GET", "/version")
        return True
    except Exception:
        return False


def run(names: list[str]) -> dict[str, Any]:
    chosen: list[Scenario] = [SCENARIOS[n] for n in names] if names else list(SCENARIOS.values())
    name = f"riir_sched_compat_{uuid.uuid4().hex[:10]}"
    admin(f'CREATE DATABASE "{name}"')
    dsn = f"{dsn_env().rsplit('/', 1)[0]}/{name}"
    result: dict[str, Any] = {"scenarios": {}, "dags": {}, "trace": {}}
    with tempfile.TemporaryDirectory(prefix="sc-riir-") as tmp:
        side = Side(Path(tmp), dsn)
        try:
            api = side.start_broker()
            for start in range(0, len(chosen), BATCH):
                batch = chosen[start : start + BATCH]
                for file_name in sorted({f for sc in batch for f in sc.files}):
                    side.start_app(file_name)
                ready = []
                for sc in batch:  # a DAG that never registers fails its scenario, not the whole side
                    try:
                        for dag_id in sc.dag_ids:
                            api.wait_dag(dag_id, 180)
                        ready.append(sc)
                    except ApiError as err:
                        result["scenarios"][sc.name] = f"its DAGs never registered: {err}"
                began = time.monotonic()
                result["scenarios"].update(
                    run_scenarios(api, ready, on_error=lambda n, tb: print(f"[{n}] {tb}", file=sys.stderr))
                )
                print(f"batch {start // BATCH + 1}: {time.monotonic() - began:.0f}s", file=sys.stderr)
                for file_name in list(side.apps):
                    side.stop_app(file_name)
            dag_ids = sorted({d for sc in chosen for d in sc.dag_ids})
            result["dags"] = extract(dsn, dag_ids)
            result["trace"] = read_trace(side.trace)
        except BaseException:
            print(side.log_tail(), file=sys.stderr)
            raise
        finally:
            side.stop()
            if os.environ.get("RIIR_SCHED_COMPAT_KEEP_LOGS"):
                shutil.copytree(side.logs, os.environ["RIIR_SCHED_COMPAT_KEEP_LOGS"], dirs_exist_ok=True)
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return result


if __name__ == "__main__":
    # A SIGTERM (the caller's timeout) unwinds through the finally blocks: apps and broker stopped, database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(json.dumps(run(sys.argv[1:])))
