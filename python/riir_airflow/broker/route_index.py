"""An APIRouter that turns a request away without trying its routes when none of their paths can match.

FastAPI (0.165) matches a request by asking each included router in turn, and each router tries every one of its
routes (a regular expression and some scope bookkeeping per route) until one matches: a request for the last router
included tried every route of the 30 routers before it, a third of the CPU of a short listing. Each `ApiRouter`
first compares the request's path segments with its routes' literal segments (`dags`, `dagRuns`, ...) and answers
"no match" at once when no route's literals fit; otherwise FastAPI matches as always (the check never says no where
FastAPI would say yes, so which route answers, and the 404 / 405 / redirect answers, are unchanged).

The router's prefix (where it is included) is not known here, so a route's segments are compared with the request's
last ones. The routes are indexed by segment count, the position of their last literal segment and that literal, so
that the check is a few dictionary lookups (and the comparison of the few routes found) whatever the number of
routes. A `{name:path}` parameter matches any number of segments: such a route needs the literal just before it
somewhere before the request's last segment.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.routing import Match, Route, WebSocketRoute

# A route's path as the check reads it: its segments, None for one holding a parameter (any one segment fits).
Shape = tuple[str | None, ...]

_last_split: tuple[str, list[str]] = ("", [""])  # the path split last: every router asks about the same one


def _segments(path: str) -> list[str]:
    global _last_split
    last_path, segments = _last_split
    if last_path != path:
        segments = path.split("/")
        _last_split = (path, segments)
    return segments


class ApiRouter(APIRouter):
    """APIRouter with the literal-segment check in `matches` (used by the included-router lookup)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._index_of = -1  # how many routes the index was built from (-1: not built yet)
        # (segment count, position of the last literal, routes of that count by their literal there)
        self._literals: list[tuple[int, int, dict[str, list[Shape]]]] = []
        self._fewest_without_literal: int | None = None  # a route with no literal fits any path this long or longer
        self._before_path: frozenset[str] = frozenset()  # the literal before a `{x:path}` parameter
        self._any_path = False  # a route the check cannot read (a mount, a `{x:path}` first, ...): always try

    def matches(self, scope: Any) -> tuple[Match, Any]:
        if scope.get("type") == "http" and not self._could_match(scope.get("path", "")):
            return Match.NONE, {}
        return super().matches(scope)

    def _could_match(self, path: str) -> bool:
        if self._index_of != len(self.routes):
            self._build_index()
        if self._any_path:
            return True
        segments = _segments(path)
        count = len(segments)
        if self._fewest_without_literal is not None and self._fewest_without_literal <= count:
            return True
        for route_count, position, by_literal in self._literals:
            if route_count > count or segments[count - route_count + position] not in by_literal:
                continue
            tail = segments[count - route_count :]
            for shape in by_literal[tail[position]]:
                if all(literal is None or literal == segment for literal, segment in zip(shape, tail, strict=True)):
                    return True
        return bool(self._before_path) and not self._before_path.isdisjoint(segments[:-1])

    def _build_index(self) -> None:
        by_position: dict[tuple[int, int], dict[str, list[Shape]]] = {}
        fewest_without_literal: int | None = None
        before_path: set[str] = set()
        self._any_path = False
        for route in self.routes:
            path = getattr(route, "path", None)
            # A mount matches its path's prefix, an included router its routes: only routes are read.
            if not isinstance(route, Route | WebSocketRoute) or not isinstance(path, str) or not path:
                self._any_path = True
                continue
            # "/dags/{dag_id}" -> ["dags", None]; the leading "" is the prefix's part.
            shape = tuple(None if "{" in part else part for part in path.split("/")[1:])
            if ":path}" in path:
                literals = [part for part in shape[: _path_position(path)] if part is not None]
                if not literals:
                    self._any_path = True
                before_path.update(literals[-1:])
                continue
            for position in range(len(shape) - 1, -1, -1):
                part = shape[position]
                if part is not None:
                    by_position.setdefault((len(shape), position), {}).setdefault(part, []).append(shape)
                    break
            else:
                fewest_without_literal = min(fewest_without_literal or len(shape), len(shape))
        self._literals = [(count, position, by_literal) for (count, position), by_literal in by_position.items()]
        self._fewest_without_literal = fewest_without_literal
        self._before_path = frozenset(before_path)
        self._index_of = len(self.routes)


def _path_position(path: str) -> int:
    """The index (among the segments after the leading "/") of the segment holding the `{x:path}` parameter."""
    return next(i for i, part in enumerate(path.split("/")[1:]) if ":path}" in part)
