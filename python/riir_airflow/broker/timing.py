"""`Server-Timing` on every response: how long the broker spent on the request, in wall time and in CPU time.

    Server-Timing: app;dur=12.3, cpu;dur=9.8

`app` is the wall time from the request reaching the application to its response headers being sent (for a page,
the whole render: the body is complete before the headers go out); `cpu` is the broker process's CPU time over the
same span, which a busy machine inflates much less than wall time (requests that overlap share it). Browsers show
both in their developer tools; benchmarks/bench_ui.py reads them. A plain ASGI middleware (not Starlette's
BaseHTTPMiddleware), so that it costs two clock reads and a header.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send


class ServerTiming:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wall, cpu = time.perf_counter(), time.process_time()

        async def send_with_timing(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                value = (f"app;dur={1000 * (time.perf_counter() - wall):.1f}, "
                         f"cpu;dur={1000 * (time.process_time() - cpu):.1f}")  # fmt: skip
                message["headers"] = [*message.get("headers", ()), (b"server-timing", value.encode())]
            await send(message)

        await self.app(scope, receive, send_with_timing)


def parse(header: str) -> dict[str, float]:
    """`app;dur=12.3, cpu;dur=9.8` -> {"app": 12.3, "cpu": 9.8} (for clients and tests)."""
    out: dict[str, float] = {}
    for metric in header.split(","):
        name, _, params = metric.strip().partition(";")
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "dur":
                out[name] = float(value)
    return out
