"""The broker's own ASGI middleware, the one layer every HTTP request passes through on its way to the routes.

In order: it starts the clocks of `Server-Timing` (broker/timing.py), turns away a request body over the limit
(broker/hardening.py), then on the response's start message appends the security headers (hardening.py) and then
`Server-Timing`. One layer instead of one per concern: each layer wrapped `send` again and read the request's
headers again, a fixed cost every request paid (the three took ~5 % of a small listing's CPU).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from riir_airflow.broker import timing
from riir_airflow.broker.hardening import add_security_headers, carries_credentials, receive_within_limit


class BrokerEdge:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wall, cpu = time.perf_counter(), time.process_time()
        credentials = carries_credentials(scope)
        https = scope.get("scheme", "http") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message["headers"])
                add_security_headers(headers, path=scope["path"], credentials=credentials, https=https)
                headers.append((b"server-timing", timing.header_value(wall, cpu)))
                message["headers"] = headers
            await send(message)

        app_receive = await receive_within_limit(scope, receive, send_with_headers, self.max_body_bytes)
        if app_receive is not None:
            await self.app(scope, app_receive, send_with_headers)
