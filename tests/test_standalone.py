"""`riir-airflow standalone` end to end: real embedded PostgreSQL or a test database, real apps, the real broker.

- the README's demo path: from an empty `$AIRFLOW_HOME`, the printed URL and password give a REST API that lists
  the example DAGs and runs one; the password is in a 0600 file and in no log; Ctrl-C leaves no process behind;
- the DAG folder is watched: an edited file restarts its app, a new one starts an app, a deleted one drains it,
  a broken one is retried without disturbing the others, and an app killed with SIGKILL comes back.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx
import pytest

from riir_airflow.metastore import queries
from riir_airflow.metastore.pool import connect, settings_from_config
from riir_airflow.metastore.records import AppRecord
from riir_airflow.metastore.roles import app_role_name
from tests.app.harness import env_for, write_dag
from tests.broker.conftest import free_port
from tests.test_examples import CHECKS

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "dags"


class Standalone:
    """`riir-airflow standalone` in the background; its console lines collected as they come."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "riir_airflow", "standalone", *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self.clients: list[httpx.Client] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, pattern: str, timeout: float = 90) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            assert self.proc.poll() is None, f"standalone exited:\n{self.output()}"
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} within {timeout}s:\n{self.output()}")

    def interrupt(self, timeout: float = 90) -> int:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout)
        self.reader.join(5)
        return code

    def kill(self) -> None:
        for client in self.clients:
            client.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def processes_with_env(name: str, value: str) -> list[int]:
    """Pids of the processes whose environment has `name=value` (how the test finds everything standalone started,
    the embedded PostgreSQL and forked task processes included)."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def wait_until(check: Callable[[], object], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not await _call(check):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def _call(check: Callable[[], object]) -> object:
    result = check()
    if asyncio.iscoroutine(result):
        return await result
    return result


@pytest.mark.timeout(240)
def browse_examples(url: str, user: str, password: str, example_ids: set[str], run_id: str) -> None:
    """Real Chromium at standalone's printed URL: log in with the printed password, find every example DAG in the
    Dags list, and the finished example_etl run in its grid."""
    from urllib.parse import quote

    from playwright.sync_api import expect, sync_playwright

    from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url)
            page.get_by_label("Username").fill(user)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/dags**")
            page.goto(f"{url}/dags")
            for dag_id in sorted(example_ids):
                expect(page.get_by_role("link", name=dag_id, exact=True).first).to_be_visible()
            page.get_by_role("link", name="example_etl", exact=True).first.click()
            # The run's task links say their state in words (not colour only); each one leads into that run.
            for task_id in ("extract", "load"):
                link = page.get_by_role("link", name=f"Task {task_id}: success").first
                expect(link).to_be_visible(timeout=30_000)
                assert quote(run_id) in (link.get_attribute("href") or "")
        finally:
            browser.close()


@pytest.mark.browser
async def test_demo_command_from_an_empty_home_serves_the_examples(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    env = env_for("", home, AIRFLOW__API__PORT=str(port))  # no database configured: the embedded PostgreSQL
    standalone = Standalone(env, "--dags", str(EXAMPLES))
    try:
        login = standalone.wait_for_line(r"Login with username: (\S+)  password: (\S+)", timeout=150)
        url = standalone.wait_for_line(r"riir-airflow is ready: (http://\S+)").group(1)
        user, password = login.group(1), login.group(2)
        passwords_file = home / "simple_auth_manager_passwords.json.generated"
        assert stat.S_IMODE(passwords_file.stat().st_mode) == 0o600
        assert password in passwords_file.read_text()
        for log in (home / "logs").rglob("*"):
            if log.is_file():
                assert password not in log.read_text(errors="replace"), f"password written to {log}"

        # The first request past health builds the broker's full API (broker/front.py): seconds on a loaded machine.
        login_body = {"username": user, "password": password}
        token = httpx.post(f"{url}/auth/token", json=login_body, timeout=120).json()["access_token"]
        api = httpx.Client(base_url=f"{url}/api/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        standalone.clients.append(api)
        example_ids = set(CHECKS)  # every example DAG (tests/test_examples.py keeps this list complete)
        deadline = time.monotonic() + 60
        while {d["dag_id"] for d in api.get("/dags").json()["dags"]} < example_ids:
            assert time.monotonic() < deadline, api.get("/dags").json()
            time.sleep(0.3)
        body = {"logical_date": "2024-05-01T00:00:00Z", "conf": {"count": 3}}
        created = api.post("/dags/example_etl/dagRuns", json=body)
        assert created.status_code == 200, created.text
        run_id = created.json()["dag_run_id"]
        deadline = time.monotonic() + 60
        while (state := api.get(f"/dags/example_etl/dagRuns/{run_id}").json()["state"]) not in ("success", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.3)
        assert state == "success", standalone.output()
        tis = api.get(f"/dags/example_etl/dagRuns/{run_id}/taskInstances").json()
        assert tis["total_entries"] > 0 and {t["state"] for t in tis["task_instances"]} == {"success"}
        # What a new user does next: open the printed URL in a browser, log in, and see the examples and the run.
        await asyncio.to_thread(browse_examples, url, user, password, example_ids, run_id)
        assert re.search(r"^broker\s+\| ", standalone.output(), re.M)
        assert re.search(r"^app:example_etl \| ", standalone.output(), re.M)

        started = processes_with_env("AIRFLOW_HOME", str(home))
        assert len(started) >= 3  # the broker, an app, the embedded PostgreSQL (and their own children)
        assert standalone.interrupt() == 0, standalone.output()
        deadline = time.monotonic() + 10
        while left := [pid for pid in started if alive(pid)]:
            assert time.monotonic() < deadline, f"processes left behind: {left}\n{standalone.output()}"
            time.sleep(0.2)
        assert "Embedded PostgreSQL stopped" in standalone.output()
    finally:
        standalone.kill()
        for pid in processes_with_env("AIRFLOW_HOME", str(home)):
            os.kill(pid, signal.SIGKILL)


DAG_SOURCE = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG(dag_id="{dag_id}", schedule=None, description="{description}"):
    {tasks}
"""


def dag_source(dag_id: str, description: str = "v1", tasks: int = 1) -> str:
    body = "\n    ".join(f'EmptyOperator(task_id="t{i}")' for i in range(tasks))
    return DAG_SOURCE.format(dag_id=dag_id, description=description, tasks=body)


async def running_app(db: asyncpg.Connection, dag_id: str) -> AppRecord | None:
    apps = [a for a in await queries.list_apps(db) if dag_id in a.dag_ids and a.state == "running"]
    apps = [a for a in apps if a.pid is not None and alive(a.pid)]
    return apps[-1] if apps else None


@pytest.mark.timeout(240)
async def test_folder_changes_start_restart_and_drain_apps(pg_dsn: str, tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    write_dag(dags, "alpha.py", dag_source("alpha"))
    write_dag(dags, "beta.py", dag_source("beta"))
    env = env_for(pg_dsn, tmp_path / "home")
    standalone = Standalone(env, "--dags", str(dags), "--no-broker")
    standalone.wait_for_line("Database ready")
    db = await connect(settings_from_config(dsn=pg_dsn))
    try:
        await wait_until(lambda: running_app(db, "alpha"), what="alpha's app")
        await wait_until(lambda: running_app(db, "beta"), what="beta's app")
        alpha = await running_app(db, "alpha")
        beta = await running_app(db, "beta")
        assert alpha is not None and beta is not None and alpha.pid is not None and beta.pid is not None
        # Each app logs in as its own confined role (granted by standalone for the DAG ids its file declares).
        for dag_id, app in (("alpha", alpha), ("beta", beta)):
            role = await db.fetchval("SELECT role_name FROM app WHERE id = $1", app.id)
            assert role == app_role_name(dag_id), standalone.output()

        # kill -9 of one app: it comes back (a new process registers), the other app is the same process.
        os.kill(alpha.pid, signal.SIGKILL)

        async def alpha_back() -> bool:
            app = await running_app(db, "alpha")
            return app is not None and app.pid != alpha.pid

        await wait_until(alpha_back, what="alpha's app to come back after SIGKILL")
        beta_after = await running_app(db, "beta")
        assert beta_after is not None and beta_after.pid == beta.pid and alive(beta.pid)
        standalone.wait_for_line(r"app:alpha exited with signal SIGKILL; restarting in")

        # An edited file restarts its app with the new DAG version.
        write_dag(dags, "beta.py", dag_source("beta", description="v2", tasks=3))

        async def beta_v2() -> bool:
            dag = await queries.get_dag(db, "beta")
            app = await running_app(db, "beta")
            return dag is not None and dag.description == "v2" and app is not None and app.pid != beta.pid

        await wait_until(beta_v2, what="beta's app to restart with the edited file")
        version = await queries.get_dag_version(db, "beta")
        assert version is not None and len(version.data["tasks"]) == 3
        assert not alive(beta.pid)

        # Saving a file unchanged restarts nothing.
        beta_now = await running_app(db, "beta")
        (dags / "beta.py").write_text((dags / "beta.py").read_text())

        # A new file starts an app; a broken one is retried with backoff, recorded as an import error, and
        # disturbs nobody.
        write_dag(dags, "gamma.py", dag_source("gamma"))
        write_dag(dags, "broken.py", "from airflow.sdk import DAG\nthis is not python\n")
        await wait_until(lambda: running_app(db, "gamma"), what="gamma's app")
        standalone.wait_for_line(r"app:broken exited with exit code 1; restarting in 1s")
        standalone.wait_for_line(r"app:broken exited with exit code 1; restarting in 2s", timeout=30)
        errors = await queries.list_events(db, events=["import_error"])
        assert any(e.extra and str(e.extra.get("filename", "")).endswith("broken.py") for e in errors.items)
        beta_later = await running_app(db, "beta")
        assert (
            beta_now is not None
            and beta_later is not None
            and (beta_later.id, beta_later.pid) == (beta_now.id, beta_now.pid)
        )  # the unchanged save and the broken file restarted nothing

        # A deleted file drains its app.
        alpha_now = await running_app(db, "alpha")
        assert alpha_now is not None and alpha_now.pid is not None
        (dags / "alpha.py").unlink()
        standalone.wait_for_line(r"app:alpha drained \(exit code 0\)")
        assert not alive(alpha_now.pid)
        assert await running_app(db, "alpha") is None
        assert await running_app(db, "gamma") is not None

        assert standalone.interrupt() == 0, standalone.output()
        assert processes_with_env("AIRFLOW_HOME", env["AIRFLOW_HOME"]) == []
    finally:
        standalone.kill()
        await db.close()
