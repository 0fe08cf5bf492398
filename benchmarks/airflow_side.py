"""Airflow 3.3.2's side of the read benchmarks (bench_ui.py, bench_history.py): its own metastore on the machine's
PostgreSQL, filled with the same data as riir's, and its api-server serving it on a loopback port.

    with airflow_metastore(workdir, dag_files) as air:      # fresh database, `airflow db migrate`,
        air.sql("INSERT INTO dag_run ...")                  #   the DAG files parsed by `airflow dags reserialize`
        with air.api_server() as client:                    # `airflow api-server`, a simple-auth-manager token
            client.get("/ui/dags?limit=25")

Serialized DAGs are written by Airflow's own code (the reference venv's `airflow dags reserialize` over a folder of
generated files); runs, task instances, XCom and event-log rows are inserted with SQL into the tables
`airflow db migrate` created (nothing in Airflow's API cares how a row got there).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "compat-tests"))
sys.path.insert(0, str(HERE))

from airflow_env import AIRFLOW_VERSION, VENV, airflow_env, airflow_python  # noqa: E402
from harness import Processes, database, free_port, run_cli, wait_until  # noqa: E402

__all__ = ["AIRFLOW_VERSION", "AirflowMetastore", "airflow_metastore"]


def _postgres_drivers() -> None:
    """The Postgres drivers Airflow needs (sync and async engines), into the reference venv only."""
    python = airflow_python()
    probe = subprocess.run([str(python), "-c", "import psycopg2, asyncpg"], capture_output=True, check=False)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "psycopg2-binary", "asyncpg"], check=True)


@dataclass
class AirflowMetastore:
    dsn: str
    home: Path
    env: dict[str, str]
    server_pid: int = 0  # the api-server's, while api_server() runs

    @property
    def airflow(self) -> list[str]:
        return [str(VENV / "bin" / "airflow")]

    def sql(self, statements: str) -> None:
        """Runs SQL in Airflow's database (psql, so that a long fill streams no rows back)."""
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.dsn, "-c", statements], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip

    def scalar(self, query: str) -> str:
        done = subprocess.run(["psql", "-tAq", self.dsn, "-c", query], check=True, capture_output=True, text=True)
        return done.stdout.strip()

    @contextlib.contextmanager
    def api_server(self, workers: int = 1, extra_env: dict[str, str] | None = None) -> Iterator[httpx.Client]:
        """`airflow api-server` on a free loopback port (`extra_env` added to its environment); yields a client
        carrying an admin's bearer token."""
        port = free_port()
        procs = Processes(self.home)
        env = {**self.env, "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(port),
               "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}", **(extra_env or {})}  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            procs.start("api-server", [*self.airflow, "api-server", "--workers", str(workers)], env, self.home)

            def up() -> bool:
                try:
                    return httpx.get(f"{url}/api/v2/monitor/health", timeout=5).status_code == 200
                except httpx.TransportError:
                    return False

            wait_until(up, 300, "Airflow's api-server", procs.check_alive)
            answer = httpx.post(f"{url}/auth/token", json={"username": "admin", "password": "pw"}, timeout=60)
            answer.raise_for_status()
            token = answer.json()["access_token"]
            with httpx.Client(base_url=url, timeout=300, headers={"Authorization": f"Bearer {token}"}) as client:
                self.server_pid = procs.procs["api-server"].pid
                yield client
        finally:
            procs.stop()


@contextlib.contextmanager
def airflow_metastore(
    workdir: Path, dag_files: dict[str, str], prefix: str = "bench_airflow"
) -> Iterator[AirflowMetastore]:
    """A fresh database migrated by Airflow 3.3.2, holding the DAGs of `dag_files` (name -> source) as Airflow's
    dag processor serializes them; dropped on exit."""
    _postgres_drivers()
    home = workdir / "airflow"
    dags = home / "dags"
    dags.mkdir(parents=True)
    for name, source in dag_files.items():
        (dags / name).write_text(source)
    (home / "passwords.json").write_text(json.dumps({"admin": "pw"}))
    with database(prefix) as dsn:
        env = airflow_env(home)
        env.update(
            # SQLAlchemy 2.1 defaults postgresql:// to psycopg 3; name the driver installed above.
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn.replace("postgresql://", "postgresql+psycopg2://", 1),
            AIRFLOW__CORE__DAGS_FOLDER=str(dags),
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(home / "passwords.json"),
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(64),
            AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
            AIRFLOW__CORE__FERNET_KEY="",
            AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        )
        meta = AirflowMetastore(dsn, home, env)
        started = time.monotonic()
        run_cli([*meta.airflow, "db", "migrate"], env, home, 900)
        print(f"airflow: db migrate {time.monotonic() - started:.0f}s", flush=True)
        started = time.monotonic()
        run_cli([*meta.airflow, "dags", "reserialize"], env, home, 1800)
        count = meta.scalar("SELECT count(*) FROM serialized_dag")
        print(f"airflow: dags reserialize {time.monotonic() - started:.0f}s, {count} serialized DAGs", flush=True)
        yield meta


def columns(meta: AirflowMetastore, table: str) -> list[str]:
    """A table's columns in Airflow's schema (for checking what the fill must provide)."""
    return meta.scalar(
        f"SELECT string_agg(column_name || ':' || is_nullable || ':' || coalesce(column_default, ''), E'\\n') "
        f"FROM information_schema.columns WHERE table_name = '{table}'"
    ).splitlines()


if __name__ == "__main__":  # a quick look at the schema the fills write into
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, airflow_metastore(Path(tmp), {}) as air:
        for table in sys.argv[1:] or ["dag_run", "task_instance", "xcom", "log", "dag"]:
            print(f"--- {table}")
            print("\n".join(columns(air, table)))
    os._exit(0)
