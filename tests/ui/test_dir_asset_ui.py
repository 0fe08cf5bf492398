"""The directory-asset page in real Chromium, over a real broker, a real DAG app and PostgreSQL.

A producer publishes a directory of 40 files; a consumer DAG (asset-scheduled) maps a `cache="file"` task over the
changed files. Three passes: every file; 3 files modified; those 3 reverted to their first content and 2 files
removed, so the consumer's 3 tries are cache hits. The page shows the asset as one node, "3 changed / 3 cached /
2 removed" for the last consumer run, the per-file grid of the last manifest, and the manifest diff of any event.
"""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from playwright.sync_api import Browser, expect

from riir_airflow.broker.app import create_app
from riir_airflow.metastore.migrate import migrate
from tests.app.harness import AppProcess, cli, env_for
from tests.broker.conftest import ServerThread, broker_config, free_port
from tests.conftest import ADMIN_DSN, _dsn_for
from tests.ui.conftest import Stack, login, run_async, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(300)]

FILES = 40

DAG = """
import pendulum

from riir_airflow.dir_assets import DirAsset, diff_since_last_consumed, prune
from riir_airflow.sdk import DAG, task

RAW, OUT = DirAsset({raw!r}), DirAsset({out!r})
START = pendulum.datetime(2024, 1, 1, tz="UTC")

with DAG("files_producer", schedule=None, start_date=START):

    @task(outlets=[RAW])
    def publish_raw() -> None:
        pass

    publish_raw()

with DAG("files_consumer", schedule=[RAW], start_date=START):

    @task
    def plan() -> list[str]:
        diff = diff_since_last_consumed(RAW)
        prune(OUT.path, diff.removed)
        return diff.changed

    @task(cache="file", inlets=[RAW], outlets=[OUT])
    def clean(rel: str) -> str:
        (OUT.path / rel).write_text((RAW.path / rel).read_text().strip().upper())
        return rel

    clean.expand(rel=plan())
"""


@pytest.fixture(scope="module")
def dir_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    name = f"riir_test_ui_dir_{uuid.uuid4().hex[:10]}"
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

    home = tmp_path_factory.mktemp("ui_dir_home")
    data = home / "data"
    for folder in ("raw", "out"):
        (data / folder).mkdir(parents=True)
    for i in range(FILES):
        (data / "raw" / f"f{i:02d}.txt").write_text(f"file {i}\n")
    dag_file = home / "files_chain.py"
    dag_file.write_text(textwrap.dedent(DAG.format(raw=str(data / "raw"), out=str(data / "out"))))
    try:
        run_async(prepare)
        port = free_port()
        with ServerThread(create_app(broker_config(home, dsn)), port):
            stack = Stack(f"http://127.0.0.1:{port}", dsn, home, home / "unused")
            stack.apps.append(AppProcess(env_for(dsn, home), dag_file, home / "app.log"))
            try:
                stack.wait(lambda: stack.fetchval("SELECT count(*) FROM dag WHERE dag_id = 'files_consumer'"), 60)
                yield stack
            finally:
                for app in stack.apps:
                    app.stop()
    finally:
        run_async(lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_pass(stack: Stack, number: int) -> None:
    """Triggers the producer and waits for the consumer's run number `number` to succeed."""
    cli(env_for(stack.dsn, stack.home), "dags", "trigger", "files_producer", "-r", f"p{number}")
    stack.wait(
        lambda: stack.fetchval(
            "SELECT count(*) FROM dag_run WHERE dag_id = 'files_consumer' AND state = 'success'"
        ) == number,
        120, f"consumer run {number}",
    )  # fmt: skip


def touch(path: Path, text: str, step: int) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + step * 1_000_000_000))


def test_a_directory_asset_page_shows_files_runs_and_the_diff(dir_stack: Stack, browser: Browser) -> None:
    raw = dir_stack.home / "data" / "raw"
    run_pass(dir_stack, 1)
    modified = ["f03.txt", "f17.txt", "f31.txt"]
    for rel in modified:
        touch(raw / rel, "edited\n", 1)
    run_pass(dir_stack, 2)
    for rel in modified:  # back to their first content: the consumer's tries are cache hits
        touch(raw / rel, f"file {int(rel[1:3])}\n", 2)
    for rel in ("f05.txt", "f06.txt"):
        (raw / rel).unlink()
    run_pass(dir_stack, 3)
    assert (dir_stack.home / "data" / "out" / "f03.txt").read_text() == "FILE 3"  # restored from the cache

    asset_id = dir_stack.fetchval("SELECT id FROM asset WHERE uri = $1", str(raw))
    for theme in ("light", "dark"):
        page = login(browser, dir_stack, theme=theme)
        if theme == "light":  # from the consumer's graph: the directory asset is one node, linked to its files
            page.goto(f"{dir_stack.url}/dags/files_consumer?tab=graph")
            page.get_by_role("link", name=f"Asset {raw}").click()
        else:  # from the Assets page
            page.goto(f"{dir_stack.url}/assets")
            page.get_by_role("link", name=f"Files of directory asset {raw}").click()
        page.wait_for_url(f"**/assets/{asset_id}/files")
        node = page.get_by_role("region", name="Directory asset node")
        expect(node).to_contain_text(f"{FILES - 2} files")
        expect(node.locator("#event-summary")).to_have_text("0 added · 3 modified · 2 removed")

        runs = page.get_by_role("table", name="Consumer runs").locator("tbody tr")
        expect(runs).to_have_count(3)
        expect(runs.nth(0).locator("td.run-counts")).to_have_text("3 changed / 3 cached / 2 removed")
        expect(runs.nth(1).locator("td.run-counts")).to_have_text("3 changed / 0 cached / 0 removed")
        expect(runs.nth(2).locator("td.run-counts")).to_have_text(f"{FILES} changed / 0 cached / 0 removed")

        grid = page.get_by_role("list", name="Per-file status")
        expect(grid.locator('[data-status="modified"]')).to_have_count(3)
        expect(grid.locator('[data-status="removed"]')).to_have_count(2)
        expect(grid.locator('[data-status="unchanged"]')).to_have_count(FILES - 5)
        expect(grid.locator('[title="f17.txt: modified"]')).to_have_count(1)

        diff = page.get_by_role("table", name="Manifest diff")
        expect(diff.locator("tbody tr")).to_have_count(5)
        expect(diff).to_contain_text("f05.txt")
        screenshot(page, "dir-asset")
        # The first event's diff: every file added.
        first = page.locator("#event-select option").last
        page.select_option("#event-select", first.get_attribute("value"))
        page.wait_for_url("**event=*")
        expect(page.locator("#event-summary")).to_have_text(f"{FILES} added · 0 modified · 0 removed")
        expect(grid.locator('[data-status="added"]')).to_have_count(FILES)
        screenshot(page, "dir-asset-first-event")
        page.context.close()
