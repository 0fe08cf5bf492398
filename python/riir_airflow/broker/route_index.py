"""An APIRouter that turns a request away without trying its routes when none of their paths can match.

FastAPI (0.165) matches a request by asking each included router in turn, and each router tries every one of its
routes (a regular expression and some scope bookkeeping per route) until one matches: a request for the last router
included tried every route of the 30 routers before it, a third of the CPU of a short listing. Each `ApiRouter`
first compares the request's path segments with its routes' literal segments (`dags`, `dagRuns`, ...) and answers
"no match" at once when no route's literals fit; otherwise FastAPI matches as always (the check never says no where
FastAPI would say yes, so which route answers, and the 404 / 405 / redirect answers, are unchanged).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.routing import Match

# A route's path as the check reads it: its segments, None for one holding a parameter (any one segment fits).
Shape = tuple[str | None, ...]


class ApiRouter(APIRouter):
    """APIRouter with the literal-segment check in `matches` (used by the included-router lookup)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shapes: dict[int, list[Shape]] = {}  # by segment count
        self._shapes_of = -1  # how many routes the shapes were built from (-1: not built yet)
        self._any_path = False  # a route the check cannot read (a `{x:path}` parameter, a mount...): always try

    def matches(self, scope: Any) -> tuple[Match, Any]:
        if scope.get("type") == "http" and not self._could_match(scope.get("path", "")):
            return Match.NONE, {}
        return super().matches(scope)

    def _could_match(self, path: str) -> bool:
        if self._shapes_of != len(self.routes):
            self._build_shapes()
        if self._any_path:
            return True
        segments = path.split("/")
        # The router's prefix (where it is included) is not known here: a route's segments are compared with the
        # request's last ones, and the prefix is left to FastAPI's own matching.
        for count, shapes in self._shapes.items():
            if count > len(segments):
                continue
            tail = segments[len(segments) - count :]
            for shape in shapes:
                if all(literal is None or literal == segment for literal, segment in zip(shape, tail, strict=True)):
                    return True
        return False

    def _build_shapes(self) -> None:
        shapes: dict[int, list[Shape]] = {}
        self._any_path = False
        for route in self.routes:
            path = getattr(route, "path", None)
            convertors = getattr(route, "param_convertors", None)
            if not isinstance(path, str) or convertors is None or ":path}" in path:
                self._any_path = True
                continue
            # "/dags/{dag_id}" -> ("dags", None); the leading "" is the prefix's part.
            shape = tuple(None if "{" in part else part for part in path.split("/")[1:])
            shapes.setdefault(len(shape), []).append(shape)
        self._shapes, self._shapes_of = shapes, len(self.routes)
