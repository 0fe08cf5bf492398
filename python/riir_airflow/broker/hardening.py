"""Response security headers, the request body limit and rate limits for the broker (broker/edge.py applies the
first two to every request).

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
from starlette.requests import cookie_parser
from starlette.types import Message, Receive, Scope, Send

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


_SECURITY_HEADERS_RAW = [
    (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def carries_credentials(scope: Scope) -> bool:
    """Whether the request sends a token (its first `Authorization` header, or the UI's `_token` cookie): answers
    to it must not be cached."""
    cookies: list[bytes] = []
    authorization_seen = False
    for key, value in scope["headers"]:
        if key == b"authorization" and not authorization_seen:
            if value:
                return True
            authorization_seen = True
        elif key == b"cookie":
            cookies.append(value)
    merged: dict[str, str] = {}
    for header in cookies:  # later headers win, as in Starlette's `Request.cookies`
        merged.update(cookie_parser(header.decode("latin-1")))
    return bool(merged.get("_token"))


def add_security_headers(headers: list[tuple[bytes, bytes]], *, path: str, credentials: bool, https: bool) -> None:
    """Appends to a response's headers SECURITY_HEADERS and, as they apply, the CSP (none for the Swagger/ReDoc
    pages), `Cache-Control: no-store` (answers to requests with credentials) and HSTS (over HTTPS); a header the
    response set itself is left as it is."""
    present = {key for key, _ in headers}
    headers.extend(header for header in _SECURITY_HEADERS_RAW if header[0] not in present)
    if not path.startswith(DOCS_PATHS) and b"content-security-policy" not in present:
        content_type = next((value for key, value in headers if key == b"content-type"), b"")
        policy = UI_CSP if content_type.startswith(b"text/html") else API_CSP
        headers.append((b"content-security-policy", policy.encode("latin-1")))
    if credentials and b"cache-control" not in present:
        headers.append((b"cache-control", b"no-store"))
    if https and _HSTS[0] not in present:
        headers.append(_HSTS)


async def receive_within_limit(scope: Scope, receive: Receive, send: Send, limit: int) -> Receive | None:
    """Answers 413 to a request body over `limit` bytes (400 to a Content-Length that is not a number) before the
    app reads it, and returns None; otherwise the `receive` the app reads the body from. A chunked body (no
    Content-Length) of POST, PUT or PATCH is read here, counted, and handed on. None too when the client went away
    while its body was being read (nobody to answer)."""
    raw_length = next((value for key, value in scope["headers"] if key == b"content-length"), None)
    if raw_length is not None:
        length = raw_length.decode("latin-1")
        if not length.isdigit():
            await JSONResponse({"detail": "Invalid Content-Length header"}, 400)(scope, receive, send)
            return None
        if int(length) > limit:
            await _too_large(scope, receive, send, limit)
            return None
    elif scope["method"] in ("POST", "PUT", "PATCH"):
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, receive, send, limit)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return _replay(b"".join(chunks), receive)
    return receive


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    detail = {"detail": f"Request body exceeds the limit of {limit} bytes"}
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
