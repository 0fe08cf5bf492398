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
from collections.abc import Callable

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class SecurityHeaders:
    """Adds SECURITY_HEADERS (and CSP, Cache-Control, HSTS as they apply) to every response. A plain ASGI
    middleware: Starlette's BaseHTTPMiddleware runs each request through extra tasks and streams, which cost more
    CPU than a small list page's own work."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        authenticated = bool(request.headers.get("authorization") or request.cookies.get("_token"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not request.url.path.startswith(DOCS_PATHS):
                    page = headers.get("content-type", "").startswith("text/html")
                    headers.setdefault("Content-Security-Policy", UI_CSP if page else API_CSP)
                if authenticated:
                    headers.setdefault("Cache-Control", "no-store")
                if request.url.scheme == "https":
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Answers 413 to a request body over `limit` bytes (400 to a Content-Length that is not a number) before the
    app reads it. A chunked body (no Content-Length) of POST, PUT or PATCH is read here, counted, and handed on."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if not length.isdigit():
                await JSONResponse({"detail": "Invalid Content-Length header"}, 400)(scope, receive, send)
                return
            if int(length) > self.limit:
                await self._too_large(scope, receive, send)
                return
        elif scope["method"] in ("POST", "PUT", "PATCH"):
            chunks, size = [], 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client went away: nobody to answer
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.limit:
                    await self._too_large(scope, receive, send)
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            receive = _replay(b"".join(chunks), receive)
        await self.app(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = {"detail": f"Request body exceeds the limit of {self.limit} bytes"}
        await JSONResponse(detail, 413)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the body already read as one message, then whatever the client sends next."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


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
