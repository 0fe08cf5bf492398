"""The UI's pages: login, the DAG list, the DAG page (grid, graph, gantt, durations, code, details, run), and the
task instance page. Pages read the metastore through its query modules; actions are the REST API's own endpoints,
called from the page's script with the session cookie, so the UI has no second copy of any business rule."""

from __future__ import annotations

import datetime
import json
import urllib.parse
from typing import Annotated, Any

from fastapi import HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from markupsafe import Markup

from riir_airflow.broker.auth import AuthError, Role
from riir_airflow.broker.deps import Pool, ReadDb, get_auth
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers.discovery import app_status
from riir_airflow.broker.ui import dag_model
from riir_airflow.broker.ui.common import TOKEN_COOKIE, UiUser, render, require_role, ui_user
from riir_airflow.broker.ui.live import LiveHub
from riir_airflow.broker.views import PERIODIC_TIMETABLES, timetable_type
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import app_queries
from riir_airflow.metastore import hitl_queries as hq
from riir_airflow.metastore import queries as q
from riir_airflow.metastore import ui_queries as uq
from riir_airflow.metastore.records import TaskInstanceKey

router = ApiRouter(include_in_schema=False)

DAGS_PER_PAGE = 25
GRID_RUNS = 25
RunsQ = Annotated[int, Query(ge=1, le=365, description="How many of the newest runs the grid shows")]
TABS = ("overview", "graph", "gantt", "durations", "code", "details", "runs", "backfills")


def _safe_next(value: str | None) -> str:
    # Only same-site paths: a login link must not send the user elsewhere.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/dags"
    return value


@router.get("/", response_class=RedirectResponse)
async def home() -> RedirectResponse:
    return RedirectResponse("/dags", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse, response_model=None)
async def login(request: Request) -> Response:
    form = urllib.parse.parse_qs((await request.body()).decode(errors="replace"))
    username = (form.get("username") or [""])[0]
    password = (form.get("password") or [""])[0]
    next_url = _safe_next((form.get("next") or [""])[0])
    auth = get_auth(request)
    try:
        user = auth.authenticate(username, password)
    except AuthError as err:
        message = "Invalid credentials" if err.status == 401 else err.detail
        return render(request, "login.html", None, status_code=err.status, next=next_url, error=message)
    response = RedirectResponse(next_url, status_code=303)
    # SameSite=Strict: another site can neither read nor send it, so the REST calls the page makes are not forgeable.
    response.set_cookie(TOKEN_COOKIE, auth.issue(user), max_age=auth.expiration, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
    return response


@router.post("/logout", response_class=RedirectResponse)
async def logout() -> RedirectResponse:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response


@router.get("/ui/events")
async def events(request: Request, user: UiUser, dag_id: str | None = None) -> StreamingResponse:
    hub: LiveHub | None = getattr(request.app.state, "ui_live", None)
    if hub is None:
        settings = getattr(request.app.state, "db_settings", None)
        hub = request.app.state.ui_live = LiveHub(request.app.state.pool, settings)
    return StreamingResponse(hub.stream(dag_id), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


def _health(item: uq.DagListItem, stale_after: float, gone_after: float) -> str:
    """The app health word of the DAG list: up, draining, gone, standby (a replica waits), or no app."""
    if item.app_state is None or item.app_heartbeat_age is None:
        return "no app"
    if item.app_state == "stopped" or item.app_heartbeat_age > gone_after:
        return "gone"
    if item.app_state == "draining":
        return "draining"
    if item.app_heartbeat_age > stale_after:
        return "stale"
    return "up"


@router.get("/dags", response_class=HTMLResponse)
async def dag_list(
    request: Request,
    pool: ReadDb,
    user: UiUser,
    search: str | None = None,
    tags: Annotated[list[str] | None, Query()] = None,
    paused: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    fragment: bool = False,
) -> HTMLResponse:
    paused_filter = {"active": False, "paused": True}.get(paused or "")
    tags = [t for t in tags or () if t]  # the form's "All tags" sends an empty value
    result = await uq.dag_list(pool, search=search, tags=tags or (), paused=paused_filter,
                               limit=DAGS_PER_PAGE, offset=(page - 1) * DAGS_PER_PAGE)  # fmt: skip
    config = request.app.state.config
    stale_after = config.getfloat("broker", "app_stale_after", fallback=60.0)
    gone_after = config.getfloat("broker", "app_gone_after", fallback=600.0)
    health = {i.dag.dag_id: _health(i, stale_after, gone_after) for i in result.items}
    pages = max(1, -(-result.total_entries // DAGS_PER_PAGE))
    template = "_dag_table.html" if fragment else "dag_list.html"
    return render(request, template, user, result=result, health=health, search=search or "",
                  tags=tags or [], paused=paused or "", page=page, pages=pages)  # fmt: skip


async def _dag_context(pool: Any, dag_id: str) -> dict[str, Any]:
    dag = await q.get_dag(pool, dag_id)
    if dag is None:
        raise HTTPException(404, f"Dag with id {dag_id} was not found")
    latest = await uq.latest_serialized(pool, dag_id)
    version, data = latest if latest else (None, {})
    kind = timetable_type(data)
    return {"dag": dag, "data": data, "version_number": version, "backfillable": kind in PERIODIC_TIMETABLES,
            "params": dag_model.params_form(data.get("params"))}  # fmt: skip


def _expanded(value: str | None) -> set[str]:
    return {v for v in (value or "").split(",") if v}


async def _grid_context(pool: Any, dag_id: str, data: dict[str, Any], limit: int = GRID_RUNS) -> dict[str, Any]:
    rows, _ = dag_model.task_tree(data)
    grid = await uq.grid(pool, dag_id, limit=limit)
    runs = grid.runs
    # Per-index rows for mapped tasks: every index seen in the shown runs.
    indexes: dict[str, list[int]] = {}
    for task_id, index in sorted(grid.by_index):
        indexes.setdefault(task_id, []).append(index)
    full: list[dag_model.TreeRow] = []
    for row in rows:
        full.append(row)
        if row.kind == "task" and row.is_mapped:
            for index in indexes.get(row.id, []):
                full.append(dag_model.TreeRow("index", row.id, f"[{index}]", row.depth + 1, [*row.ancestors, row.id],
                                              map_index=index))  # fmt: skip

    table = [_row_cells(row, grid) for row in full]
    active = any(c and c[0] in ACTIVE_STATES for r in table for c in r)
    grid_data = script_json({
        "dag": "/dags/" + urllib.parse.quote(dag_id, safe=""),
        "runs": [[r.run_id, urllib.parse.quote(r.run_id, safe="")] for r in runs],
        "rows": [[row.kind, row.id, row.map_index] for row in full],
        "cells": table,
    })  # fmt: skip
    longest = max((r.duration for r in _run_durations(runs)), default=0.0) or 1.0
    return {
        "runs": runs,
        "rows": full,
        "grid_data": grid_data,
        "grid_active": active,
        "run_bars": _run_durations(runs),
        "longest": longest,
        "grid_runs": limit,
    }


ACTIVE_STATES = frozenset({"running", "queued", "scheduled", "up_for_retry", "up_for_reschedule", "deferred",
                           "restarting", "awaiting_input"})  # fmt: skip


def _cell(by_state: list[Any] | dict[str | None, int] | None) -> Any:
    """A grid cell as the page's script reads it: 0 (no task instance) or [state, count]; several states show the
    one a summary shows (failed before running before success...)."""
    if not by_state:
        return 0
    if isinstance(by_state, list):
        return by_state
    if len(by_state) == 1:
        state, count = next(iter(by_state.items()))
        return [state, count]
    return [dag_model.summary_state(by_state), sum(by_state.values())]


def _row_cells(row: dag_model.TreeRow, grid: uq.GridCells) -> list[Any]:
    """One grid row's cells, one per run. The page's script draws them: a 100 x 100 grid has 10,000 cells, which as
    ready HTML would be 1.6 MB and most of the page's server time."""
    width = len(grid.runs)
    if row.kind == "index":
        states = grid.by_index.get((row.id, row.map_index))
        return [0 if s is False else [s, 1] for s in states] if states else [0] * width
    if row.kind == "task":
        column = grid.by_task.get(row.id)
        return [_cell(c) for c in column] if column else [0] * width
    merged: list[dict[str | None, int]] = [{} for _ in range(width)]
    for task_id in row.task_ids:
        for into, cell in zip(merged, grid.by_task.get(task_id) or (), strict=False):
            if cell is None:
                continue
            for state, count in (cell,) if isinstance(cell, list) else cell.items():
                into[state] = into.get(state, 0) + count
    return [_cell(m) for m in merged]


def script_json(value: Any) -> Markup:
    """JSON safe inside a <script> element: '<', '>' and '&' escaped so that no text can close the element."""
    text = json.dumps(value, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


class _RunBar:
    def __init__(self, run: Any, duration: float) -> None:
        self.run = run
        self.duration = duration


def _run_durations(runs: list[Any]) -> list[_RunBar]:
    now = datetime.datetime.now(datetime.UTC)
    return [_RunBar(r, ((r.end_date or now) - r.start_date).total_seconds() if r.start_date else 0.0) for r in runs]


@router.get("/dags/{dag_id}", response_class=HTMLResponse)
async def dag_page(
    request: Request,
    pool: ReadDb,
    user: UiUser,
    dag_id: str,
    tab: str = "overview",
    run_id: str | None = None,
    collapsed: str | None = None,
    runs: RunsQ = GRID_RUNS,
) -> HTMLResponse:
    if tab not in TABS:
        raise HTTPException(404, f"No tab {tab!r} (tabs: {', '.join(TABS)})")
    ctx = await _dag_context(pool, dag_id)
    ctx.update(await _grid_context(pool, dag_id, ctx["data"], runs))
    run = await q.get_dag_run(pool, dag_id, run_id) if run_id else await uq.latest_run(pool, dag_id)
    if run_id and run is None:
        raise HTTPException(404, f"The DagRun with dag_id: `{dag_id}` and run_id: `{run_id}` was not found")
    ctx.update(await _tab_context(pool, dag_id, tab, run, ctx["data"], _expanded(collapsed)))
    return render(request, "dag.html", user, tab=tab, run=run, collapsed=collapsed or "", **ctx)


@router.get("/dags/{dag_id}/grid", response_class=HTMLResponse)
async def grid_fragment(
    request: Request, pool: ReadDb, user: UiUser, dag_id: str, runs: RunsQ = GRID_RUNS
) -> HTMLResponse:
    ctx = await _dag_context(pool, dag_id)
    ctx.update(await _grid_context(pool, dag_id, ctx["data"], runs))
    return render(request, "_grid.html", user, run=None, **ctx)


@router.get("/dags/{dag_id}/tab", response_class=HTMLResponse)
async def tab_fragment(
    request: Request, pool: Pool, user: UiUser, dag_id: str, tab: str = "overview", run_id: str | None = None,
    collapsed: str | None = None,
) -> HTMLResponse:  # fmt: skip
    if tab not in TABS:
        raise HTTPException(404, f"No tab {tab!r}")
    ctx = await _dag_context(pool, dag_id)
    run = await q.get_dag_run(pool, dag_id, run_id) if run_id else await uq.latest_run(pool, dag_id)
    ctx.update(await _tab_context(pool, dag_id, tab, run, ctx["data"], _expanded(collapsed)))
    return render(request, f"_tab_{tab}.html", user, tab=tab, run=run, collapsed=collapsed or "", **ctx)


async def _tab_context(
    pool: Any, dag_id: str, tab: str, run: Any, data: dict[str, Any], collapsed: set[str]
) -> dict[str, Any]:
    ctx: dict[str, Any] = {}
    tis = await uq.run_task_instances(pool, dag_id, run.run_id) if run else []
    if tab in ("overview", "graph"):
        states: dict[str, list[str | None]] = {}
        for ti in tis:
            states.setdefault(ti["task_id"], []).append(ti["state"])
        ctx["drawing"] = dag_model.graph(data, collapsed, states)
    if tab in ("overview", "gantt"):
        starts = [t["queued_dttm"] or t["start_date"] for t in tis if t["start_date"]]
        ends = [t["end_date"] or datetime.datetime.now(datetime.UTC) for t in tis if t["start_date"]]
        begin = min(starts) if starts else None
        span = (max(ends) - begin).total_seconds() if begin and ends else 0.0
        ctx["gantt"] = {"tis": [t for t in tis if t["start_date"]], "begin": begin, "span": span or 1.0}
    if tab == "durations":
        runs, rows = await uq.task_durations(pool, dag_id)
        per_task: dict[str, dict[str, float | None]] = {}
        for row in rows:
            per_task.setdefault(row["task_id"], {})[row["run_id"]] = row["duration"]
        bars = _run_durations(runs)
        ctx["durations"] = {"runs": runs, "per_task": per_task, "bars": bars,
                            "longest": max((b.duration for b in bars), default=0.0) or 1.0}  # fmt: skip
    if tab == "code":
        ctx["versions"] = await uq.version_sources(pool, dag_id)
        ctx["run_version"] = await uq.version_number_of(pool, run.dag_version_id) if run else None
    if tab in ("details", "overview"):
        ctx["run_version"] = await uq.version_number_of(pool, run.dag_version_id) if run else None
    if tab == "runs":
        ctx["all_runs"] = (await aq.list_runs_filtered(pool, dag_ids=[dag_id], order_by=["-run_after"],
                                                       limit=100)).items  # fmt: skip
    if tab == "backfills":
        ctx["backfills"] = await uq.backfill_progress(pool, dag_id)
    return ctx


@router.post("/dags/{dag_id}/retire", response_class=RedirectResponse)
async def retire(request: Request, pool: Pool, dag_id: str) -> RedirectResponse:
    """Retire: paused and hidden, history kept (the `app retire` command's operation)."""
    user = ui_user(request)
    require_role(user, Role.USER)
    if not await app_queries.retire_dag(pool, dag_id):
        raise HTTPException(404, f"Dag with id {dag_id} was not found")
    await q.record_event(pool, "retire", dag_id=dag_id, owner=user.username)
    return RedirectResponse("/dags", status_code=303)


@router.get("/dags/{dag_id}/runs/{run_id}/tasks/{task_id}", response_class=HTMLResponse)
async def task_instance_page(
    request: Request, pool: Pool, user: UiUser, dag_id: str, run_id: str, task_id: str, map_index: int = -1,
    try_number: int | None = None,
) -> HTMLResponse:  # fmt: skip
    ctx = await _dag_context(pool, dag_id)
    run = await q.get_dag_run(pool, dag_id, run_id)
    if run is None:
        raise HTTPException(404, f"The DagRun with dag_id: `{dag_id}` and run_id: `{run_id}` was not found")
    key = TaskInstanceKey(dag_id, run_id, task_id, map_index)
    ti = await q.get_task_instance(pool, key)
    task = dag_model.tasks_by_id(ctx["data"]).get(task_id, {})
    mapped: list[Any] = []
    if ti is None and map_index == -1 and task.get("is_mapped"):
        mapped = (await aq.list_tis_filtered(pool, dag_id=dag_id, run_id=run_id, task_ids=[task_id],
                                             mapped_only=True, order_by=["map_index"], limit=1000)).items  # fmt: skip
    elif ti is None:
        raise HTTPException(404, f"The Task Instance with dag_id: `{dag_id}`, run_id: `{run_id}`, task_id: "
                                 f"`{task_id}` and map_index: `{map_index}` was not found")  # fmt: skip
    tries: list[Any] = []
    xcoms: list[Any] = []
    hitl = await hq.get_detail(pool, key) if ti is not None else None
    if ti is not None:
        history = await q.list_task_instance_tries(pool, key)
        tries = list(history)
        if ti.try_number > 0 and ti.try_number not in {h.try_number for h in history}:
            tries.append(ti)
        xcoms = (
            await q.list_xcoms(pool, dag_id=dag_id, run_id=run_id, task_id=task_id, map_indexes=[map_index], limit=100)
        ).items
    shown_try = try_number if try_number is not None else (ti.try_number if ti else 0)
    return render(request, "task_instance.html", user, run=run, ti=ti, task=task, task_id=task_id,
                  map_index=map_index, tries=tries, xcoms=xcoms, mapped=mapped, shown_try=shown_try,
                  hitl=hitl, hitl_params=dag_model.params_form(hitl.params) if hitl else [], **ctx)  # fmt: skip


@router.get("/dags/{dag_id}/runs/{run_id}", response_class=RedirectResponse)
async def run_page(dag_id: str, run_id: str) -> RedirectResponse:
    return RedirectResponse(f"/dags/{urllib.parse.quote(dag_id)}?tab=details&run_id={urllib.parse.quote(run_id)}",
                            status_code=303)  # fmt: skip


def app_health_word(app: Any, now: datetime.datetime, stale_after: float, gone_after: float) -> str:
    return app_status(app, now, stale_after, gone_after)
