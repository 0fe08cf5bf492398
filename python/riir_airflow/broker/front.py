"""The broker's lazy front: the ASGI app `riir-airflow broker` serves, which builds the full API on first use.

An idle broker answers nothing but health probes, yet FastAPI, pydantic, the API's ~100 schemas and their validators
are most of its memory (about half of its PSS). The front holds only the metastore pool and answers
`GET /api/v2/monitor/health` itself (the same body as the router: broker/health.py); the first other request imports
and builds the FastAPI app (`create_app`, sharing the front's pool) and every request from then on goes to it. The
price is that first request's latency (the imports, about a second on a loaded machine);
`[broker] lazy_load_api = False` builds the app at start instead.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import asyncpg

from riir_airflow.config import AirflowConfigParser, conf

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEALTH_PATH = "/api/v2/monitor/health"
# Young-generation threshold of the collector once the API is built (CPython's default: 700). A list page of 100 rows
# holds a thousand or two dicts and lists until its response is sent: at 700 the collector ran during most listings of
# runs of many DAGs (and then and again the older generations' passes with it), traversing what was all alive. Cycles
# that become garbage wait a little longer (a few requests' worth of objects at most).
YOUNG_COLLECTION_THRESHOLD = 10_000


class LazyBroker:
    """ASGI app: the lifespan opens and closes the pool; health is answered here; the rest goes to the full API,
    built on the first request that needs it (or at startup when lazy loading is off)."""

    def __init__(self, config: AirflowConfigParser | None = None) -> None:
        self.config = config or conf
        self.lazy = self.config.getboolean("broker", "lazy_load_api", fallback=True)
        self.pool: asyncpg.Pool | None = None
        self.api: ASGIApp | None = None
        self._building = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if self.api is None and scope["type"] == "http" and scope["path"] == HEALTH_PATH and scope["method"] == "GET":
            await self._health(send)
            return
        api = self.api or await self._build()
        await api(scope, receive, send)

    async def _build(self) -> ASGIApp:
        async with self._building:
            if self.api is None:
                from riir_airflow.broker.app import create_app

                log.info("building the API on first use")
                self.api = create_app(self.config, pool=self.pool)
                # What the imports and the app built lives as long as the process: out of the collector's reach, a
                # full collection walks only what requests left behind (it walked ~120,000 objects, ~25 ms, every
                # few hundred listings).
                gc.freeze()
                young, older, oldest = gc.get_threshold()
                gc.set_threshold(max(young, YOUNG_COLLECTION_THRESHOLD), older, oldest)
            return self.api

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        from riir_airflow.metastore.pool import create_pool, settings_from_config

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.pool = await create_pool(settings_from_config(self.config), reset_sessions=False)
                    if not self.lazy:
                        await self._build()
                except Exception as err:  # reported to the server, which refuses to start
                    await send({"type": "lifespan.startup.failed", "message": f"{type(err).__name__}: {err}"})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _health(self, send: Send) -> None:
        from riir_airflow.broker.health import health_payload

        if self.pool is None:
            raise RuntimeError("the broker's pool is not open: the server did not run the ASGI lifespan")
        body = json.dumps(await health_payload(self.pool, self.config), separators=(",", ":")).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def create_broker() -> LazyBroker:
    """Factory for the ASGI servers (`riir_airflow.broker.front:create_broker`)."""
    return LazyBroker()
