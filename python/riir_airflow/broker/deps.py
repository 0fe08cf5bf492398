"""Request dependencies shared by the routers: the metastore pool, the caller and their role, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer

from riir_airflow.broker.auth import AuthError, AuthManager, Role, User
from riir_airflow.config import AirflowConfigParser
from riir_airflow.metastore.queries import Db

# Both schemes appear in the OpenAPI spec as in Airflow's; either header form is accepted.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
bearer_scheme = HTTPBearer(auto_error=False)


def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def get_config(request: Request) -> AirflowConfigParser:
    config: AirflowConfigParser = request.app.state.config
    return config


def get_auth(request: Request) -> AuthManager:
    auth: AuthManager = request.app.state.auth
    return auth


# Dependencies are coroutines: FastAPI runs a plain function dependency in a worker thread, a hop that cost more
# CPU than the lookup itself on every request.
async def request_pool(request: Request) -> asyncpg.Pool:
    return get_pool(request)


async def request_config(request: Request) -> AirflowConfigParser:
    return get_config(request)


Pool = Annotated[asyncpg.Pool, Depends(request_pool)]


async def read_snapshot(request: Request) -> AsyncIterator[PoolConnectionProxy]:
    """One pooled connection in one read-only REPEATABLE READ transaction for a whole request (what Airflow's session
    per request gives): every query of the page sees the same snapshot, and each costs one round trip instead of
    four (acquire's reset, BEGIN, the query, COMMIT). Under load every round trip waits for a busy server, so a list
    page's wall time was mostly those (benchmarks/bench_history.py). For read-only handlers only."""
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        yield conn


ReadDb = Annotated[Db, Depends(read_snapshot)]  # (a pool also serves, when a handler is called directly)


async def pooled_connection(request: Request) -> AsyncIterator[PoolConnectionProxy]:
    """One pooled connection for a whole request, outside any transaction: for read-only handlers that make one or
    two statements, each atomic on its own, and can do without one snapshot across them (a row that changes in
    between is shown as either). BEGIN and COMMIT would be as many round trips as the handler's reads."""
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        yield conn


ReadConn = Annotated[Db, Depends(pooled_connection)]
Config = Annotated[AirflowConfigParser, Depends(request_config)]


USER_SCOPE_KEY = "riir_airflow.user"  # where current_user leaves the request's user for request_user


async def current_user(
    request: Request,
    _oauth: Annotated[str | None, Depends(oauth2_scheme)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User:
    """The request's user, from its bearer token or the UI's `_token` cookie; 401 / 403 when there is none or it is
    not valid. Depends on both security schemes, which is how they appear in the OpenAPI document."""
    auth = get_auth(request)
    token = bearer.credentials if bearer else request.cookies.get("_token")
    if not token:
        if auth.all_admins:
            user = User("anonymous", Role.ADMIN)
            request.scope[USER_SCOPE_KEY] = user
            return user
        raise HTTPException(401, "Not authenticated")
    try:
        user = auth.verify(token)
    except AuthError as err:
        raise HTTPException(err.status, err.detail) from None
    user = User(user.username, Role.ADMIN) if auth.all_admins else user
    request.scope[USER_SCOPE_KEY] = user
    return user


async def request_user(request: Request) -> User:
    """The user a handler sees (`CurrentUser`): the one the router's `requires` check had current_user authenticate.
    FastAPI solves a dependency's own dependencies again each time it is declared, even when its value is cached:
    declared on current_user, a handler's user cost the two security schemes' solving a second time."""
    user: User | None = request.scope.get(USER_SCOPE_KEY)
    if user is None:  # a route without the check: authenticate here
        user = await current_user(request, None, await bearer_scheme(request))
    return user


CurrentUser = Annotated[User, Depends(request_user)]

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def requires(read: Role, write: Role) -> Callable[[Request, User], Coroutine[Any, Any, User]]:
    """A router dependency: `read` is the lowest role allowed to read (GET, and POST .../list batch queries),
    `write` the lowest allowed to change anything."""

    async def check(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
        reading = request.method in _READ_METHODS or (request.method == "POST" and request.url.path.endswith("/list"))
        if user.role < (read if reading else write):
            raise HTTPException(403, "Forbidden")
        return user

    return check


class Paging:
    """`limit` (default `[api] fallback_page_limit`, at most `[api] maximum_page_limit`) and `offset`."""

    def __init__(self, limit: int, offset: int) -> None:
        self.limit = limit
        self.offset = offset


async def paging(
    request: Request,
    limit: Annotated[int | None, Query(ge=0)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Paging:
    default, maximum = _page_limits(request)
    return Paging(min(default if limit is None else limit, maximum), offset)


def _page_limits(request: Request) -> tuple[int, int]:
    """(`fallback_page_limit`, `maximum_page_limit`), read from the config once per app: a lookup walks the
    environment, the file and the defaults, a cost every list request paid twice."""
    state = request.app.state
    limits: tuple[int, int] | None = getattr(state, "page_limits", None)
    if limits is None:
        config = get_config(request)
        limits = (
            config.getint("api", "fallback_page_limit", fallback=50),
            config.getint("api", "maximum_page_limit", fallback=100),
        )
        state.page_limits = limits
    return limits


Page = Annotated[Paging, Depends(paging)]


def order_by_param(default: str) -> Callable[[list[str] | None], Coroutine[Any, Any, list[str]]]:
    async def parse(order_by: Annotated[list[str] | None, Query()] = None) -> list[str]:
        # Airflow accepts repeated `order_by` and comma-separated fields.
        fields = [f.strip() for item in (order_by or [default]) for f in item.split(",") if f.strip()]
        return fields or [default]

    return parse
