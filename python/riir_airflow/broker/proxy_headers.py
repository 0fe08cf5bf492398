"""`--proxy-headers`: take the client address and scheme from `X-Forwarded-For` / `X-Forwarded-Proto`.

What uvicorn's `--proxy-headers` does, for the granian server too: only when the direct peer is a trusted proxy
(`FORWARDED_ALLOW_IPS`, comma-separated addresses or `*`, default 127.0.0.1, as uvicorn reads it), the nearest
address in `X-Forwarded-For` that is not itself a trusted proxy becomes `scope["client"]` and `X-Forwarded-Proto`
becomes `scope["scheme"]` (so redirects and absolute URLs say https behind a TLS-terminating proxy).
"""

from __future__ import annotations

import os
from typing import Any

from riir_airflow.broker.front import ASGIApp, Receive, Scope, Send


def trusted_proxies() -> set[str]:
    raw = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    return {part.strip() for part in raw.split(",") if part.strip()}


class ProxyHeaders:
    def __init__(self, app: ASGIApp, trusted: set[str] | None = None) -> None:
        self.app = app
        self.trusted = trusted if trusted is not None else trusted_proxies()

    def _is_trusted(self, host: str | None) -> bool:
        return "*" in self.trusted or (host is not None and host in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            if self._is_trusted(client[0] if client else None):
                headers = {
                    name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])
                }
                proto = headers.get("x-forwarded-proto")
                if proto:
                    scheme = proto.split(",")[0].strip().lower()
                    if scope["type"] == "websocket":
                        scheme = "wss" if scheme in ("https", "wss") else "ws"
                    scope["scheme"] = scheme
                forwarded_for = headers.get("x-forwarded-for")
                if forwarded_for:
                    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
                    # The right-most address not added by a trusted proxy is the real client.
                    for hop in reversed(hops):
                        if not self._is_trusted(hop):
                            scope["client"] = (hop, 0)
                            break
                    else:
                        scope["client"] = (hops[0], 0)
        await self.app(scope, receive, send)


def create_broker_behind_proxy() -> Any:
    """Factory for multi-worker servers started with `--proxy-headers`."""
    from riir_airflow.broker.front import create_broker

    return ProxyHeaders(create_broker())
