"""The routers' literal-segment check never turns away a request FastAPI would match: for every route of the broker
(and near misses of each), the route FastAPI picks, or its 404 / 405, is the same with the check as without it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import Match

from riir_airflow.broker.app import create_app
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.config import AirflowConfigParser


def _included_routers(app: Any) -> list[ApiRouter]:
    return [r.original_router for r in app.router.routes if isinstance(getattr(r, "original_router", None), ApiRouter)]


def _route_paths(app: Any) -> Iterator[str]:
    """Every route's full path: the app's own, and each included router's under its prefix."""
    for route in app.router.routes:
        router = getattr(route, "original_router", None)
        if router is None:
            yield getattr(route, "path", "")
            continue
        prefix = route.include_context.prefix
        for child in router.routes:
            yield prefix + getattr(child, "path", "")


def _paths(app: Any) -> Iterator[str]:
    """Each route's path as a request would spell it, and near misses (a segment more, fewer, a trailing slash)."""
    for path in _route_paths(app):
        if not path:
            continue
        filled = re.sub(r"\{[^}:]+(:path)?\}", "x", path)
        yield filled
        yield filled + "/"
        yield filled + "/x"
        yield filled.rsplit("/", 1)[0] or "/"


def _picked(app: Any, path: str, method: str) -> tuple[Match, Any]:
    """What the app's router picks for `path`: the first full match, else the first partial one (405)."""
    scope = {"type": "http", "path": path, "method": method, "root_path": "", "headers": [], "query_string": b""}
    partial = None
    for route in app.router.routes:
        match, _ = route.matches(dict(scope))
        if match == Match.FULL:
            return match, route
        if match == Match.PARTIAL and partial is None:
            partial = route
    return (Match.PARTIAL, partial) if partial is not None else (Match.NONE, None)


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(AirflowConfigParser(environ={}), dsn="postgresql://nobody@127.0.0.1/none")


def test_the_routers_are_indexed(app: Any) -> None:
    assert len(_included_routers(app)) >= 25


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_the_check_changes_no_routing(app: Any, method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted(set(_paths(app)))
    assert len(paths) > 300
    with_check = {path: _picked(app, path, method) for path in paths}
    monkeypatch.setattr(ApiRouter, "_could_match", lambda self, path: True)
    without = {path: _picked(app, path, method) for path in paths}
    assert with_check == without
    assert any(match == Match.FULL for match, _ in with_check.values())


def test_a_path_of_another_router_is_turned_away_early(app: Any) -> None:
    routers = _included_routers(app)
    event_logs = [r for r in routers if any(getattr(x, "path", "") == "/eventLogs" for x in r.routes)]
    dags = [r for r in routers if any(getattr(x, "path", "") == "/dags" for x in r.routes)]
    assert event_logs and dags
    assert event_logs[0]._could_match("/api/v2/eventLogs") and not event_logs[0]._could_match("/api/v2/dags")
    assert dags[0]._could_match("/api/v2/dags") and not dags[0]._could_match("/api/v2/eventLogs")


def test_a_path_parameter_route_is_tried_only_after_its_literal(app: Any) -> None:
    routers = _included_routers(app)
    variables = [
        r for r in routers if any(getattr(x, "path", "") == "/variables/{variable_key:path}" for x in r.routes)
    ]
    assert variables
    assert variables[0]._could_match("/api/v2/variables/a/b/c") and variables[0]._could_match("/api/v2/variables/")
    assert not variables[0]._could_match("/api/v2/eventLogs") and not variables[0]._could_match("/api/v2/dags/x")
