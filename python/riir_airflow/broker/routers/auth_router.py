"""`/auth/token` (and `/auth/token/cli`): credentials in, JWT out, as Airflow's simple auth manager."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel

from riir_airflow.broker.auth import AuthError, Role, User
from riir_airflow.broker.deps import get_auth
from riir_airflow.broker.hardening import login_rate_limit
from riir_airflow.broker.route_index import ApiRouter

router = ApiRouter(tags=["SimpleAuthManagerLogin"], dependencies=[Depends(login_rate_limit)])


class LoginBody(BaseModel):
    username: str
    password: str


class LoginResponse(BaseModel):
    access_token: str


async def _credentials(request: Request) -> tuple[str | None, str | None]:
    raw = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    data: Any
    if ctype == "application/x-www-form-urlencoded":
        form = parse_qs(raw.decode(errors="replace"))
        data = {k: v[0] for k, v in form.items()}
    elif ctype in ("application/json", ""):
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise HTTPException(400, "Request body is not valid JSON") from None
    else:
        raise HTTPException(415, "Unsupported Media Type")
    if not isinstance(data, dict):
        raise HTTPException(400, "Username and password must be provided")
    username, password = data.get("username"), data.get("password")
    return (username if isinstance(username, str) else None, password if isinstance(password, str) else None)


def _login(request: Request, username: str | None, password: str | None, expires_in: int | None) -> LoginResponse:
    auth = get_auth(request)
    try:
        user = auth.authenticate(username, password)
    except AuthError as err:
        raise HTTPException(err.status, err.detail) from None
    return LoginResponse(access_token=auth.issue(user, expires_in=expires_in))


_LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/LoginBody"}},
            "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/LoginBody"}},
        },
    }
}


@router.post(
    "/token",
    status_code=201,
    response_model=LoginResponse,
    openapi_extra=_LOGIN_BODY,
    responses={400: {}, 401: {}, 415: {}},
)
async def create_token(request: Request) -> LoginResponse:
    username, password = await _credentials(request)
    return _login(request, username, password, None)


@router.get("/token", status_code=201, response_model=LoginResponse, responses={403: {}})
async def create_token_all_admins(request: Request) -> LoginResponse:
    auth = get_auth(request)
    if not auth.all_admins:
        raise HTTPException(403, "This method is only allowed if ``[core] simple_auth_manager_all_admins`` is True")
    return LoginResponse(access_token=auth.issue(User("anonymous", Role.ADMIN)))


@router.post("/token/cli", status_code=201, response_model=LoginResponse, responses={400: {}, 401: {}})
async def create_token_cli(request: Request, body: LoginBody) -> LoginResponse:
    return _login(request, body.username, body.password, get_auth(request).cli_expiration)
