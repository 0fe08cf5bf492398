"""The UI in real Chromium against a real broker, real DAG apps and PostgreSQL: what a user does every day.

The tests of this module share one stack and run in file order (a later test uses runs an earlier one made).
"""

from __future__ import annotations

import datetime
import json
import re
import urllib.parse

import pytest
from playwright.sync_api import Browser, expect

from tests.ui.conftest import SIZES, Stack, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(240)]

STATE_TIMEOUT = 45_000  # ms


def latest_run_id(stack: Stack, dag_id: str) -> str:
    run_id = stack.wait(lambda: stack.fetchval("SELECT run_id FROM dag_run WHERE dag_id = $1 ORDER BY id DESC LIMIT 1",
                                               dag_id), 30, f"a run of {dag_id}")  # fmt: skip
    return str(run_id)


def ti_state(stack: Stack, dag_id: str, run_id: str, task_id: str) -> str | None:
    value = stack.fetchval("SELECT state FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 "
                           "AND map_index = -1", dag_id, run_id, task_id)  # fmt: skip
    return str(value) if value is not None else None


def test_login_is_required_and_wrong_password_is_refused(stack: Stack, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{stack.url}/dags/ui_demo")
    expect(page).to_have_url(re.compile(r"/login\?next=/dags/ui_demo"))
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Invalid credentials")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("pw-admin")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dags/ui_demo$"))
    page.context.close()


def test_trigger_with_a_param_live_grid_live_log_clear_and_expand(stack: Stack, browser: Browser) -> None:
    page = login(browser, stack)
    page.goto(f"{stack.url}/dags/ui_demo")
    page.get_by_role("button", name="Trigger Dag ui_demo").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("greeting")).to_have_value("hello")
    # Validated as Airflow validates the Param's schema: count has minimum 1, greeting minLength 2.
    dialog.get_by_label("count").fill("0")
    dialog.get_by_role("button", name="Trigger", exact=True).click()
    assert dialog.get_by_label("count").evaluate("e => !e.validity.valid")
    assert stack.fetchval("SELECT count(*) FROM dag_run WHERE dag_id = 'ui_demo'") == 0
    dialog.get_by_label("count").fill("2")
    dialog.get_by_label("greeting").fill("hi there")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Trigger", exact=True).click()
    run_id = latest_run_id(stack, "ui_demo")
    conf = stack.fetchval("SELECT conf FROM dag_run WHERE run_id = $1", run_id)
    assert (json.loads(conf) if isinstance(conf, str) else conf) == {"greeting": "hi there", "count": 2}

    # From here on the page is never reloaded: a marker on window would be lost by a reload.
    page.evaluate("window.__noReload = 1")
    start_cell = page.locator(f'tr[data-row-id="start"] a[title="start in {run_id}: success"]')
    expect(start_cell).to_be_visible(timeout=STATE_TIMEOUT)
    expect(start_cell).to_have_css("background-color", "rgb(0, 128, 0)")  # Airflow's green
    assert page.evaluate("window.__noReload") == 1

    # Expand the task group (and its nested group) and the mapped task: the per-index rows appear.
    expect(page.locator('tr[data-row-id="outer.inner"]')).to_be_hidden()
    page.get_by_role("button", name="Toggle group outer", exact=True).click()
    expect(page.locator('tr[data-row-id="outer.inner"]')).to_be_visible()
    expect(page.locator('tr.task[data-row-id="outer.square"]')).to_be_visible()
    expect(page.locator('tr[data-row-id="outer.inner.inner_step"]')).to_be_hidden()
    page.get_by_role("button", name="Toggle group outer.inner").click()
    expect(page.locator('tr[data-row-id="outer.inner.inner_step"]')).to_be_visible()
    mapped_rows = page.locator('tr.index[data-row-id="outer.square"]')
    page.get_by_role("button", name="Toggle mapped task outer.square").click()
    expect(mapped_rows).to_have_count(2, timeout=STATE_TIMEOUT)
    expect(mapped_rows.nth(0)).to_be_visible()
    expect(mapped_rows.nth(1).locator("td.task")).to_contain_text("[1]")

    # Open the slow task's log while it runs: lines arrive without reloading.
    stack.wait(lambda: ti_state(stack, "ui_demo", run_id, "slow_log") == "running", 45, "slow_log to run")
    page.goto(f"{stack.url}/dags/ui_demo/runs/{run_id}/tasks/slow_log")
    log = page.get_by_label("Log of try 1")
    expect(page.locator("#ti-state")).to_have_text("running")
    page.evaluate("window.__noReload = 2")
    expect(log).to_contain_text("slow line 0", timeout=STATE_TIMEOUT)
    first = log.inner_text()
    assert "slow line 19" not in first, "the log was complete before it was followed"
    expect(log).to_contain_text("slow line 19", timeout=STATE_TIMEOUT)
    expect(page.locator("#ti-state")).to_have_text("success", timeout=STATE_TIMEOUT)
    assert page.evaluate("window.__noReload") == 2

    # flaky fails (no marker file); clearing it after the marker exists reruns it to success.
    stack.wait(lambda: ti_state(stack, "ui_demo", run_id, "flaky") == "failed", 45, "flaky to fail")
    page.goto(f"{stack.url}/dags/ui_demo/runs/{run_id}/tasks/flaky")
    expect(page.locator("#ti-state")).to_have_text("failed")
    expect(page.get_by_label("Log of try 1")).to_contain_text("marker file missing", timeout=STATE_TIMEOUT)
    stack.marker.write_text("ok")
    page.get_by_role("button", name="Clear task instance flaky").click()
    page.get_by_role("dialog").get_by_role("button", name="Clear", exact=True).click()
    stack.wait(lambda: ti_state(stack, "ui_demo", run_id, "flaky") == "success", 45, "flaky to rerun")
    expect(page.locator("#ti-state")).to_have_text("success", timeout=STATE_TIMEOUT)
    expect(page.get_by_label("Log of try 2")).to_contain_text("marker found", timeout=STATE_TIMEOUT)
    assert stack.fetchval("SELECT try_number FROM task_instance WHERE run_id = $1 AND task_id = 'flaky'", run_id) == 2
    page.context.close()


def test_backfill_newest_first_runs_in_that_order(stack: Stack, browser: Browser) -> None:
    page = login(browser, stack)
    page.goto(f"{stack.url}/dags/ui_daily")
    page.get_by_role("button", name="Backfill").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("From (UTC)").fill("2024-01-01T00:00:00")
    dialog.get_by_label("To (UTC)").fill("2024-01-04T00:00:00")
    dialog.get_by_label("Newest first (Run Backwards)").check()
    dialog.get_by_label("Max Active Runs").fill("1")
    dialog.get_by_role("button", name="Run Backfill").click()
    page.wait_for_url(re.compile(r"tab=backfills"))
    expect(page.get_by_role("table", name="Backfills")).to_contain_text("newest first")
    # Progress shows without reloading, until all four runs succeeded.
    expect(page.get_by_role("table", name="Backfills")).to_contain_text("4 success", timeout=60_000)
    # Its last run finished: the backfill is complete (a completion time, no longer running, nothing to cancel).
    stack.wait(lambda: stack.fetchval("SELECT completed_at IS NOT NULL FROM backfill WHERE dag_id = 'ui_daily'"), 30,
               "the backfill to complete")  # fmt: skip
    page.reload()
    expect(page.get_by_role("table", name="Backfills").locator("tbody tr")).not_to_contain_text("running")
    expect(page.get_by_role("table", name="Backfills").get_by_role("button", name="Cancel")).to_have_count(0)
    rows = stack.fetch("SELECT logical_date, start_date FROM dag_run WHERE dag_id = 'ui_daily' AND run_type = "
                       "'backfill' ORDER BY start_date")  # fmt: skip
    dates = [r["logical_date"].date() for r in rows]
    assert dates == [datetime.date(2024, 1, d) for d in (4, 3, 2, 1)]
    page.get_by_role("link", name="Runs", exact=True).click()
    table = page.get_by_role("table", name="Dag Runs")
    shown = [(c[3], c[4]) for c in (r.split("\t") for r in table.locator("tbody tr").all_inner_texts())
             if "backfill" in c[2]]  # fmt: skip
    by_start = sorted(shown, key=lambda item: item[1])
    assert [logical[:10] for logical, _ in by_start] == ["2024-01-04", "2024-01-03", "2024-01-02", "2024-01-01"]
    page.context.close()


def test_markup_everywhere_is_shown_as_text(stack: Stack, browser: Browser) -> None:
    page = login(browser, stack)
    page.on("dialog", lambda d: d.dismiss())
    page.goto(f"{stack.url}/dags/ui_xss")
    page.get_by_role("button", name="Trigger Dag ui_xss").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Advanced Options").click()
    payload = "<img src=x onerror=\"window.__xss='conf'\"><script>window.__xss='conf'</script>"
    dialog.get_by_label("Configuration JSON").fill(json.dumps({"html": payload}))
    with page.expect_navigation():
        dialog.get_by_role("button", name="Trigger", exact=True).click()
    run_id = latest_run_id(stack, "ui_xss")
    stack.wait(lambda: stack.fetchval("SELECT state FROM dag_run WHERE run_id = $1", run_id) == "success", 45, "run")
    quoted = urllib.parse.quote(run_id)
    checks = {
        f"/dags/ui_xss?tab=details&run_id={quoted}": ["window.__xss='doc'", "window.__xss='description'",
                                                       "window.__xss='param'", "window.__xss='conf'"],
        "/dags/ui_xss?tab=graph": ["window.__xss='task'"],  # the grid shows the display name in full
        f"/dags/ui_xss/runs/{quoted}/tasks/shout": ["window.__xss='log'"],
        "/dags": ["<b>tag</b>"],
    }  # fmt: skip
    for path, texts in checks.items():
        page.goto(stack.url + path)
        page.wait_for_load_state("load")
        for text in texts:
            expect(page.get_by_text(text).first).to_be_attached()
        assert page.evaluate("window.__xss") is None, f"markup ran on {path}"
        assert page.locator("main img[src='x'], main b:text('tag')").count() == 0, f"markup rendered on {path}"
    page.goto(f"{stack.url}/dags/ui_xss")
    page.get_by_role("button", name="Trigger Dag ui_xss").click()
    expect(page.get_by_role("dialog").locator("input[data-param='note']")).to_have_value(re.compile("window.__xss"))
    assert page.evaluate("window.__xss") is None
    page.context.close()


def test_answer_a_human_in_the_loop_task(stack: Stack, browser: Browser) -> None:
    viewer = login(browser, stack, role="viewer")
    admin = login(browser, stack)
    # The UI's Content-Security-Policy lets its own script and stylesheet load (and nothing inline run).
    blocked: list[str] = []
    admin.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    admin.goto(f"{stack.url}/dags/ui_hitl")
    admin.get_by_role("button", name="Trigger Dag ui_hitl").click()
    with admin.expect_navigation():
        admin.get_by_role("dialog").get_by_role("button", name="Trigger", exact=True).click()
    run_id = latest_run_id(stack, "ui_hitl")
    stack.wait(lambda: ti_state(stack, "ui_hitl", run_id, "ask") == "awaiting_input", 45, "ask to await input")
    path = f"/dags/ui_hitl/runs/{urllib.parse.quote(run_id)}/tasks/ask"

    # A viewer sees the question but no form to answer it.
    viewer.goto(stack.url + path)
    section = viewer.get_by_role("region", name=re.compile("Required Action"))
    expect(section).to_contain_text("Ship the release?")
    expect(section).to_contain_text("Check the <b>notes</b> first.")  # the body is text, never markup
    expect(section).to_contain_text("Response Required")
    assert viewer.get_by_role("form", name="Respond to ask").count() == 0
    assert viewer.get_by_role("button", name="Ship").count() == 0
    viewer.context.close()

    # The param is validated as the trigger form's are; the option buttons answer through the REST API.
    admin.goto(stack.url + path)
    form = admin.get_by_role("form", name="Respond to ask")
    expect(form.get_by_label("reason")).to_have_value("looks good")
    form.get_by_label("reason").fill("x")
    form.get_by_role("button", name="Ship", exact=True).click()
    assert form.get_by_label("reason").evaluate("e => !e.validity.valid")
    assert ti_state(stack, "ui_hitl", run_id, "ask") == "awaiting_input"
    form.get_by_label("reason").fill("tests pass")
    with admin.expect_navigation():
        form.get_by_role("button", name="Ship", exact=True).click()
    stack.wait(lambda: stack.fetchval("SELECT state FROM dag_run WHERE run_id = $1", run_id) == "success", 45, "run")
    answer = stack.fetchval("SELECT value FROM xcom WHERE run_id = $1 AND task_id = 'after' AND key = 'return_value'",
                            run_id)  # fmt: skip
    assert (json.loads(answer) if isinstance(answer, str) else answer) == "tests pass"
    admin.goto(stack.url + path)
    expect(admin.locator("#hitl-response")).to_contain_text("Ship")
    expect(admin.locator("#hitl-response")).to_contain_text("by admin")
    assert admin.get_by_role("form", name="Respond to ask").count() == 0
    assert not blocked, blocked
    admin.context.close()


def test_read_only_user_sees_no_action_buttons_and_the_api_refuses(stack: Stack, browser: Browser) -> None:
    page = login(browser, stack, role="viewer")
    run_id = latest_run_id(stack, "ui_demo")
    for path in ("/dags", "/dags/ui_demo", f"/dags/ui_demo?tab=details&run_id={urllib.parse.quote(run_id)}",
                 f"/dags/ui_demo/runs/{run_id}/tasks/flaky", "/dags/ui_daily"):  # fmt: skip
        page.goto(stack.url + path)
        for name in ("Trigger", "Clear", "Mark as success", "Mark as failed", "Backfill", "Retire", "Clear Run"):
            assert page.get_by_role("button", name=name).count() == 0, f"{name} shown to a viewer on {path}"
        assert page.get_by_role("switch").count() == 0, f"pause switch shown to a viewer on {path}"
    status = page.evaluate("""async () => (await fetch('/api/v2/dags/ui_demo?update_mask=is_paused', {method: 'PATCH',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({is_paused: true})})).status""")
    assert status == 403
    assert page.request.post(f"{stack.url}/dags/ui_demo/retire", max_redirects=0).status == 403
    page.context.close()


def test_dag_list_search_and_tag_filter(stack: Stack, browser: Browser) -> None:
    page = login(browser, stack)
    table = page.get_by_role("table", name="Dags")
    expect(table.locator("tbody tr")).to_have_count(4)
    page.get_by_label("Search Dags").fill("xss")
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("ui_xss")
    page.goto(f"{stack.url}/dags")
    page.get_by_label("Filter by tag").select_option("demo")
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("ui_demo")
    page.get_by_label("Filter by paused state").select_option("paused")
    page.get_by_role("button", name="Filter").click()
    expect(table).to_contain_text("No Dags found.")
    expect(page.get_by_role("navigation", name="Pagination")).to_contain_text("Page 1 of 1")
    page.context.close()


def test_pause_from_the_list_then_retire(stack: Stack, browser: Browser) -> None:
    page = login(browser, stack)
    switch = page.get_by_role("switch", name="Pause/Unpause Dag ui_daily")
    expect(switch).to_have_attribute("aria-checked", "true")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    stack.wait(lambda: stack.fetchval("SELECT is_paused FROM dag WHERE dag_id = 'ui_daily'"), 10, "pause")
    page.reload()
    expect(page.get_by_role("switch", name="Pause/Unpause Dag ui_daily")).to_have_attribute("aria-checked", "false")
    page.goto(f"{stack.url}/dags/ui_daily")
    page.on("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Retire Dag ui_daily").click()
    page.wait_for_url(f"{stack.url}/dags")
    expect(page.get_by_role("link", name="ui_daily", exact=True)).to_have_count(0)
    assert stack.fetchval("SELECT is_stale FROM dag WHERE dag_id = 'ui_daily'") is True
    page.context.close()


PAGES = ["/dags", "/dags/ui_demo", "/dags/ui_demo?tab=graph", "/dags/ui_demo?tab=gantt",
         "/dags/ui_demo?tab=durations", "/dags/ui_demo?tab=runs", "/dags/ui_demo?tab=code",
         "/dags/ui_demo?tab=details", "/dags/ui_daily?tab=backfills", "/assets", "/events", "/xcoms", "/apps",
         "/variables", "/pools", "/connections", "/configs", "/plugins", "/providers"]  # fmt: skip


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_renders_without_overflow(stack: Stack, browser: Browser, size: str, theme: str) -> None:
    page = login(browser, stack, size=size, theme=theme)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    run_id = latest_run_id(stack, "ui_demo")
    paths = [*PAGES, f"/dags/ui_demo/runs/{run_id}/tasks/slow_log", f"/dags/ui_demo/runs/{run_id}/tasks/outer.square",
             f"/dags/ui_demo/runs/{run_id}/tasks/outer.square?map_index=1"]  # fmt: skip
    for path in paths:
        response = page.goto(stack.url + path)
        assert response is not None and response.ok, f"{path}: {response.status if response else 'no response'}"
        page.wait_for_load_state("load")
        name = re.sub(r"[^a-z0-9]+", "_", path.replace(run_id, "RUN").lower()).strip("_") or "root"
        if page.locator("pre.log").count():  # let the log arrive before the picture
            expect(page.locator("pre.log")).to_have_text(re.compile(r"\S"))  # (no wait_for_function: the CSP bans eval)
        screenshot(page, name)
        # Nothing sticks out of the page sideways (wide content scrolls inside its own box).
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the {size} window"
    page.get_by_role("button", name=re.compile("Switch to (light|dark) mode")).click()
    assert page.evaluate("document.documentElement.dataset.theme") == ("dark" if theme == "light" else "light")
    assert not errors, errors
    page.context.close()
