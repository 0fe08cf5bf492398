"""A broker (in a thread) and one DAG app (`riir-airflow app FILE`, a process) on a fresh metastore, as a user runs
them: the end-to-end tests that drive an app through the REST API with the official airflow client start here."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
from airflow_client.client import ApiClient, Configuration
from airflow_client.client.api.dag_api import DAGApi
from airflow_client.client.api.dag_run_api import DagRunApi

from riir_airflow.broker.app import create_app
from tests.app.harness import AppProcess, cli, env_for, write_dag
from tests.broker.conftest import PASSWORD, ServerThread, broker_config, free_port

T = TypeVar("T")


@dataclass(frozen=True)
class BrokerWithApp:
    env: dict[str, str]  # the app's environment: CLI commands run with it reach the same metastore
    app: AppProcess
    url: str
    token: str  # a bearer token of the user "user"
    api: ApiClient

    def wait(self, what: str, check: Callable[[], T], timeout: float = 60, every: float = 0.3) -> T:
        """The first truthy value of `check()`, polled until `timeout`; fails with the app's output if the app
        exits or the time runs out."""
        deadline = time.monotonic() + timeout
        while not (value := check()):
            assert time.monotonic() < deadline and self.app.proc.poll() is None, (
                f"waiting for {what}\n{self.app.output()}"
            )
            time.sleep(every)
        return value

    def run_to_finish(self, dag_id: str, run_id: str, timeout: float = 60) -> str:
        """The final state of a run ("success" or "failed"), once it has one."""

        def finished() -> str | None:
            state = str(DagRunApi(self.api).get_dag_run(dag_id, run_id).state.value)
            return state if state in ("success", "failed") else None

        return self.wait(f"run {run_id} of {dag_id} to finish", finished, timeout)


@contextlib.contextmanager
def broker_with_app(pg_dsn: str, tmp_path: Path, file_name: str, source: str, dag_id: str) -> Iterator[BrokerWithApp]:
    """Migrates the metastore, starts the app on `source` (written as dags/`file_name`) and the broker, logs in and
    returns once the app has registered `dag_id`; stops both on the way out."""
    home = tmp_path / "home"
    home.mkdir()
    env = env_for(pg_dsn, home)
    cli(env, "db", "migrate")
    dags = tmp_path / "dags"
    dags.mkdir()
    app = AppProcess(env, write_dag(dags, file_name, source), tmp_path / "app.log")
    port = free_port()
    try:
        with ServerThread(create_app(broker_config(tmp_path, pg_dsn)), port):
            url = f"http://127.0.0.1:{port}"
            login = {"username": "user", "password": PASSWORD.format("user")}
            token = httpx.post(f"{url}/auth/token", json=login).json()["access_token"]
            with ApiClient(Configuration(host=url, access_token=token)) as api:
                running = BrokerWithApp(env, app, url, token, api)
                registered = lambda: DAGApi(api).get_dags(dag_id_pattern=dag_id).dags  # noqa: E731
                running.wait("the app to register its DAG", registered, timeout=30, every=0.2)
                yield running
    finally:
        app.stop()
