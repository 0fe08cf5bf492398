"""The broker's FastAPI application: Airflow's REST API v2 at /api/v2, the token endpoints at /auth, discovery.

`create_app()` builds it from the configuration; the metastore pool opens on startup and closes on shutdown. The
broker reads serialized DAGs from the metastore and never imports DAG code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from riir_airflow._version import __version__
from riir_airflow.broker import param_memo
from riir_airflow.broker.auth import AuthManager
from riir_airflow.broker.edge import BrokerEdge
from riir_airflow.broker.hardening import RateLimiter, parse_limit
from riir_airflow.broker.routers._common import API_PREFIX
from riir_airflow.config import AirflowConfigParser, conf
from riir_airflow.exceptions import AirflowBadRequest, AirflowException, AirflowNotFoundException, DagNotFound
from riir_airflow.metastore.pool import create_pool, session_settings, settings_from_config

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 10 * 1024 * 1024
DEFAULT_LOGIN_RATE_LIMIT = "10 per 60 second"

DESCRIPTION = (
    "riir-airflow's broker: Airflow 3.3's REST API v2 (same paths, parameters and shapes). Endpoints it does not "
    "implement answer 501. Get a token with `POST /auth/token` and send it as `Authorization: Bearer <token>`."
)


def _install_error_handlers(app: FastAPI) -> None:
    def detail(status: int, message: Any) -> JSONResponse:
        return JSONResponse({"detail": message}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            item = {k: err[k] for k in ("type", "loc", "msg") if k in err}
            if "input" in err:
                item["input"] = err["input"]
            if "ctx" in err:
                item["ctx"] = {
                    k: v if isinstance(v, str | int | float | bool) else str(v) for k, v in err["ctx"].items()
                }
            errors.append(item)
        # Round-trip through JSON so that bytes and other odd inputs never break the error itself.
        return JSONResponse({"detail": json.loads(json.dumps(errors, default=str))}, status_code=422)

    @app.exception_handler(DagNotFound)
    async def dag_not_found(_: Request, exc: DagNotFound) -> JSONResponse:
        return detail(404, str(exc))

    @app.exception_handler(AirflowNotFoundException)
    async def not_found(_: Request, exc: AirflowNotFoundException) -> JSONResponse:
        return detail(404, str(exc))

    @app.exception_handler(AirflowBadRequest)
    async def bad_request(_: Request, exc: AirflowBadRequest) -> JSONResponse:
        return detail(400, str(exc))

    @app.exception_handler(AirflowException)
    async def airflow_error(_: Request, exc: AirflowException) -> JSONResponse:
        return detail(400, str(exc))

    @app.exception_handler(asyncpg.UniqueViolationError)
    async def unique(_: Request, exc: asyncpg.UniqueViolationError) -> JSONResponse:
        return detail(409, {"reason": "Unique constraint violation", "statement": "", "orig_error": str(exc)})

    @app.exception_handler(asyncpg.IntegrityConstraintViolationError)
    async def integrity(_: Request, exc: asyncpg.IntegrityConstraintViolationError) -> JSONResponse:
        return detail(409, f"Integrity error: {exc}")

    @app.exception_handler(asyncpg.DataError)
    async def data_error(_: Request, exc: asyncpg.DataError) -> JSONResponse:
        # Values PostgreSQL refuses (out of range dates or integers, NUL bytes in text, ...).
        return detail(400, f"Invalid value: {exc}")

    @app.exception_handler(OverflowError)
    async def overflow(_: Request, exc: OverflowError) -> JSONResponse:
        return detail(400, f"Invalid value: {exc}")


def create_app(
    config: AirflowConfigParser | None = None, *, dsn: str | None = None, pool: asyncpg.Pool | None = None
) -> FastAPI:
    """The broker app. `dsn` overrides `[database] sql_alchemy_conn`; `pool` supplies an open pool (tests)."""
    cfg = config or conf
    auth = AuthManager(cfg)
    param_memo.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = pool is None
        app.state.db_settings = None  # set when the broker connects itself: the UI's LISTEN connection uses them
        if pool is None:
            settings = settings_from_config(cfg, dsn=dsn)
            # LISTEN lives in a session: `[database] direct_conn` when the pool goes through pgbouncer.
            app.state.db_settings = session_settings(settings, cfg)
            app.state.pool = await create_pool(settings, reset_sessions=False)
        else:
            app.state.pool = pool
        try:
            yield
        finally:
            live = getattr(app.state, "ui_live", None)
            if live is not None:
                await live.close()  # the UI's LISTEN connection goes back before the pool closes
            if own:
                await app.state.pool.close()

    swagger = cfg.getboolean("api", "enable_swagger_ui", fallback=True)
    app = FastAPI(
        title="Airflow API",
        description=DESCRIPTION,
        version="2",
        lifespan=lifespan,
        docs_url="/docs" if swagger else None,
        redoc_url="/redoc" if swagger else None,
        openapi_url="/openapi.json",
    )
    app.state.config = cfg
    app.state.auth = auth
    app.state.riir_version = __version__
    if pool is not None:
        app.state.pool = pool
    _install_error_handlers(app)
    app.state.login_limiter = RateLimiter(
        *parse_limit(cfg.get("broker", "login_rate_limit", fallback=None) or DEFAULT_LOGIN_RATE_LIMIT)
    )

    from riir_airflow.broker.routers import ROUTERS, auth_router, unsupported

    app.include_router(auth_router.router, prefix="/auth")
    for module in ROUTERS:
        app.include_router(module.router, prefix=API_PREFIX)
    unsupported.install(app)
    from riir_airflow.broker import ui

    ui.install(app)
    # Ours is the only middleware added: Server-Timing, the body limit, the security headers (broker/edge.py).
    limit = cfg.getint("api", "max_request_body_bytes", fallback=DEFAULT_MAX_BODY)
    app.add_middleware(BrokerEdge, max_body_bytes=limit)
    return app
