"""Response security headers and rate limits for the broker.

- Every response carries headers that stop browsers from sniffing types, framing the API, leaking URLs in the
  Referer or caching authenticated answers; `Strict-Transport-Security` is added when the request came over HTTPS.
- Token requests (`/auth/token*`) are limited per client address: at most `[broker] login_rate_limit` requests
  (default "10 per 60 second", the shape of Flask-Limiter strings Airflow's FAB login used) in a sliding window;
  more get 429 with `Retry-After`. The count lives in the worker process (each granian worker keeps its own).
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# The Swagger/ReDoc pages load their scripts from a CDN; everything else is JSON and needs nothing at all.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The UI's pages load their own script and stylesheet; no inline script runs (markup injected into a page cannot
# run). Inline style attributes are allowed: the templates size bars and boxes with them.
UI_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")  # fmt: skip
DOCS_PATHS = ("/docs", "/redoc")


def install_security_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith(DOCS_PATHS):
            page = response.headers.get("content-type", "").startswith("text/html")
            response.headers.setdefault("Content-Security-Policy", UI_CSP if page else API_CSP)
        if request.headers.get("authorization") or request.cookies.get("_token"):
            response.headers.setdefault("Cache-Control", "no-store")
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


_LIMIT = re.compile(r"^\s*(\d+)\s*(?:per|/)\s*(\d*)\s*(second|minute|hour)s?\s*$")
_UNIT = {"second": 1, "minute": 60, "hour": 3600}


def parse_limit(spec: str) -> tuple[int, float]:
    """ "10 per 60 second" / "5/minute" -> (requests, window seconds); ValueError names the bad value."""
    match = _LIMIT.match(spec)
    if not match:
        raise ValueError(f"[broker] login_rate_limit: {spec!r} is not like '10 per 60 second' or '5/minute'")
    count, amount, unit = match.groups()
    return int(count), float(int(amount or 1) * _UNIT[unit])


class RateLimiter:
    """A sliding-window counter per key (the client's address)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> float | None:
        """Count one request; None when allowed, else seconds until the next one would be."""
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self.window - now
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle clients so the table cannot grow without bound
            for other in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                del self._hits[other]
        return None


def login_rate_limit(request: Request) -> None:
    """Router dependency for the token endpoints."""
    limiter: RateLimiter = request.app.state.login_limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.hit(client)
    if wait is not None:
        raise HTTPException(
            429, "Too many login attempts, try again later", headers={"Retry-After": str(int(wait) + 1)}
        )
