"""Admin and browse pages: variables, connections, pools, apps, assets and their events, audit log, XComs, config,
plugins, providers. Each reads through the REST API's own router function (same masking, same roles), so a value
the API hides stays hidden here."""

from __future__ import annotations

import importlib.metadata
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Paging, Pool
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers import config as config_router
from riir_airflow.broker.routers import connections, discovery, pools, variables, xcom
from riir_airflow.broker.ui.common import UiUser, render, require_role
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import dir_asset_queries
from riir_airflow.metastore import queries as q

router = ApiRouter(include_in_schema=False)
PAGE = Paging(200, 0)


@router.get("/variables", response_class=HTMLResponse)
async def variables_page(request: Request, pool: Pool, user: UiUser) -> HTMLResponse:
    require_role(user, Role.OP)
    data = await variables.get_variables(pool, PAGE, None)
    return render(request, "admin_variables.html", user, items=data["variables"], total=data["total_entries"])


@router.get("/connections", response_class=HTMLResponse)
async def connections_page(request: Request, pool: Pool, user: UiUser) -> HTMLResponse:
    require_role(user, Role.OP)
    data = await connections.get_connections(pool, PAGE, None)
    testing = (request.app.state.config.get("core", "test_connection", fallback="Disabled") or "").lower()
    return render(request, "admin_connections.html", user, items=data["connections"], total=data["total_entries"],
                  test_enabled=testing == "enabled")  # fmt: skip


@router.get("/pools", response_class=HTMLResponse)
async def pools_page(request: Request, pool: Pool, user: UiUser) -> HTMLResponse:
    data = await pools.get_pools(pool, PAGE, None)
    return render(request, "admin_pools.html", user, items=data["pools"], total=data["total_entries"])


@router.get("/apps", response_class=HTMLResponse)
async def apps_page(request: Request, pool: Pool, user: UiUser) -> HTMLResponse:
    data = await discovery.list_apps(request, pool)
    return render(request, "admin_apps.html", user, items=data["apps"], total=data["total_entries"])


@router.get("/assets", response_class=HTMLResponse)
async def assets_page(request: Request, pool: Pool, user: UiUser) -> HTMLResponse:
    assets = await aq.list_assets(pool, name_pattern=None, uri_pattern=None, order_by=["name"], limit=200, offset=0)
    events = await q.list_asset_events(pool, limit=100, offset=0, order_by="-timestamp")
    names = {a.id: a.name for a in assets.items}
    directories = await dir_asset_queries.is_dir_asset(pool, [a.id for a in assets.items])
    return render(request, "admin_assets.html", user, assets=assets.items, events=events.items, names=names,
                  directories=directories)  # fmt: skip


@router.get("/events", response_class=HTMLResponse)
async def events_page(request: Request, pool: Pool, user: UiUser, dag_id: str | None = None) -> HTMLResponse:
    result = await q.list_events(pool, dag_id=dag_id, limit=200, offset=0, order_by="-dttm")
    return render(request, "admin_events.html", user, items=result.items, dag_id=dag_id or "")


@router.get("/xcoms", response_class=HTMLResponse)
async def xcoms_page(request: Request, pool: Pool, user: UiUser) -> HTMLResponse:
    data = await xcom.xcom_entries(pool, PAGE, "~", "~", "~")
    return render(request, "admin_xcoms.html", user, items=data["xcom_entries"], total=data["total_entries"])


@router.get("/configs", response_class=HTMLResponse)
async def config_page(request: Request, user: UiUser) -> HTMLResponse:
    require_role(user, Role.OP)
    try:
        data = await config_router.get_config(request.app.state.config, None)
        error = None
    except HTTPException as err:  # [api] expose_config is off: say so, as Airflow's page does
        data, error = {"sections": []}, str(err.detail)
    return render(request, "admin_config.html", user, sections=data["sections"], error=error)


def _distributions(prefixes: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] or ""
        if name.lower().startswith(prefixes):
            out.append({"name": name, "version": dist.version, "summary": dist.metadata["Summary"] or ""})
    return sorted(out, key=lambda d: d["name"].lower())


@router.get("/providers", response_class=HTMLResponse)
async def providers_page(request: Request, user: UiUser) -> HTMLResponse:
    # Installed distributions only (metadata, never imported: the broker runs no provider code).
    items = _distributions(("apache-airflow-providers-", "apache_airflow_providers_"))
    return render(request, "admin_providers.html", user, items=items)


@router.get("/plugins", response_class=HTMLResponse)
async def plugins_page(request: Request, user: UiUser) -> HTMLResponse:
    # Plugins registered as `airflow.plugins` entry points, listed without loading them.
    items = [{"name": ep.name, "value": ep.value, "dist": ep.dist.name if ep.dist else ""}
             for ep in importlib.metadata.entry_points(group="airflow.plugins")]  # fmt: skip
    return render(request, "admin_plugins.html", user, items=items)
