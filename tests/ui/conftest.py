"""A real broker, real DAG apps and Debian's Chromium (through Playwright) over a private PostgreSQL database.

Screenshots of every page go to `test-artifacts/ui/` at 1280x800 and 1920x1080, light and dark.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from riir_airflow.broker.app import create_app
from riir_airflow.metastore.migrate import migrate
from tests.app.harness import AppProcess, env_for
from tests.broker.conftest import PASSWORD, ServerThread, broker_config, free_port
from tests.conftest import ADMIN_DSN, _dsn_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
DAGS = Path(__file__).parent / "dags"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
SIZES = {"1280x800": (1280, 800), "1920x1080": (1920, 1080)}
T = TypeVar("T")

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres]


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Runs a coroutine on a loop of its own thread: Playwright's sync API keeps its own loop in the test's thread."""

    async def main() -> T:
        return await factory()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


@dataclass
class Stack:
    url: str
    dsn: str
    home: Path
    marker: Path
    apps: list[AppProcess] = field(default_factory=list)

    def fetchval(self, sql: str, *args: Any) -> Any:
        async def query() -> Any:
            conn = await asyncpg.connect(self.dsn)
            try:
                return await conn.fetchval(sql, *args)
            finally:
                await conn.close()

        return run_async(query)

    def fetch(self, sql: str, *args: Any) -> list[Any]:
        async def query() -> list[Any]:
            conn = await asyncpg.connect(self.dsn)
            try:
                return list(await conn.fetch(sql, *args))
            finally:
                await conn.close()

        return run_async(query)

    def wait(self, check: Callable[[], Any], timeout: float = 45, what: str = "condition") -> Any:
        import time

        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                logs = "\n".join(a.output()[-3000:] for a in self.apps)
                raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A migrated database, the broker on a loopback port, and one app per DAG file in tests/ui/dags."""
    name = f"riir_test_ui_{uuid.uuid4().hex[:10]}"
    dsn = _dsn_for(name)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def prepare() -> None:
        await admin(f'CREATE DATABASE "{name}"')
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()

    home = tmp_path_factory.mktemp("ui_home")
    marker = home / "flaky-may-pass"
    try:
        run_async(prepare)
        config = broker_config(home, dsn, AIRFLOW__CORE__TEST_CONNECTION="Disabled")
        port = free_port()
        with ServerThread(create_app(config), port):
            stack = Stack(f"http://127.0.0.1:{port}", dsn, home, marker)
            env = env_for(dsn, home, UI_TEST_MARKER=str(marker))
            try:
                for path in sorted(DAGS.glob("*.py")):
                    stack.apps.append(AppProcess(env, path, home / f"{path.stem}.log"))
                stack.wait(lambda: stack.fetchval("SELECT count(*) FROM app") == len(stack.apps), 60, "apps")
                stack.wait(lambda: stack.fetchval("SELECT count(*) FROM dag_version") >= len(stack.apps), 60, "dags")
                yield stack
            finally:
                for app in stack.apps:
                    app.stop()
    finally:
        run_async(lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def login(browser: Browser, stack: Stack, role: str = "admin", size: str = "1280x800", theme: str = "light") -> Page:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=theme)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{stack.url}/dags")
    assert "/login" in page.url
    page.get_by_label("Username").fill(role)
    page.get_by_label("Password").fill(PASSWORD.format(role))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dags")
    return page


def token(stack: Stack, role: str = "admin") -> str:
    response = httpx.post(f"{stack.url}/auth/token", json={"username": role, "password": PASSWORD.format(role)})
    response.raise_for_status()
    return str(response.json()["access_token"])


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size or {"width": 0, "height": 0}
    theme = page.evaluate("document.documentElement.dataset.theme")
    path = ARTIFACTS / f"{name}-{viewport['width']}x{viewport['height']}-{theme}.png"
    page.screenshot(path=str(path))
    return path


def clean_artifacts() -> None:
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
