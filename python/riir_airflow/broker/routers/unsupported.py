"""Airflow 3.3 REST API operations the broker does not implement answer 501 with a clear message (not 404)."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from riir_airflow.broker.deps import current_user
from riir_airflow.broker.routers._common import API_PREFIX

# (method, path) of Airflow 3.3.2's public operations that riir-airflow's broker does not serve: none today. The
# mechanism stays for operations a later Airflow adds before riir-airflow implements them.
UNSUPPORTED: list[tuple[str, str]] = []


def install(app: FastAPI) -> None:
    """Routes registered last, so any implemented operation on the same path wins; kept out of the schema."""

    def make(method: str, path: str):  # type: ignore[no-untyped-def]
        async def not_implemented(request: Request) -> JSONResponse:
            return JSONResponse(
                {"detail": f"{method} {API_PREFIX}{path} is part of Airflow's REST API but is not implemented by "
                           "riir-airflow's broker"},
                status_code=501,
            )  # fmt: skip

        return not_implemented

    for method, path in UNSUPPORTED:
        # A token is needed even to learn that an operation is missing, as for every other API route.
        app.add_api_route(API_PREFIX + path, make(method, path), methods=[method], include_in_schema=False,
                          dependencies=[Depends(current_user)])  # fmt: skip
    app.add_api_route("/api/v1/{rest:path}", _v1_removed, methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
                      include_in_schema=False)  # fmt: skip
    app.add_api_route("/health", _old_health, methods=["GET"], include_in_schema=False)


async def _v1_removed(request: Request) -> JSONResponse:
    return JSONResponse({"detail": "/api/v1 has been removed in Airflow 3, please use its upgraded version /api/v2 "
                                   "instead."}, status_code=404)  # fmt: skip


async def _old_health(request: Request) -> JSONResponse:
    return JSONResponse({"detail": "/health endpoint has been removed in Airflow 3, please use /api/v2/monitor/health"},
                        status_code=404)  # fmt: skip
