"""The web UI the broker serves: server-rendered pages (jinja2) with a small script, at the site root.

Pages read the metastore through `metastore.ui_queries` and the other query modules, and the serialized DAGs the
apps published; actions call the REST API (`/api/v2`) with the session cookie. See docs/ui.md.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from riir_airflow.broker.ui.common import HERE, LoginRequired


def install(app: FastAPI) -> None:
    from riir_airflow.broker.ui import admin, dir_assets, pages

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(admin.router)
    app.include_router(dir_assets.router)

    @app.exception_handler(LoginRequired)
    async def login_required(_: Request, exc: LoginRequired) -> RedirectResponse:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)
