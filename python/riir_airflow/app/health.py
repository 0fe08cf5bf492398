"""The DAG app's health endpoint for Kubernetes probes (`riir-airflow app FILE --health-port N`).

A minimal HTTP/1.0 responder on the app's own event loop, so a probe that gets an answer proves the loop is not
stuck; each probe also runs `SELECT 1` on the app's pool, so a lost metastore fails it too.

    GET /health        liveness: 200 while the loop runs and the metastore answers (also while draining, so
                       Kubernetes does not kill a draining app); 503 before the app has connected.
    GET /health/ready  readiness: as /health, but 503 while the app drains (SIGTERM / PreStop).

The body is JSON: {"status", "app_id", "dag_ids", "scheduling", "draining", "detail"?}.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, Protocol

log = logging.getLogger("riir_airflow.app.health")
DB_CHECK_SECONDS = 5.0
REQUEST_LIMIT = 8192


class AppState(Protocol):
    """What the endpoint reads of a running app (DagApp has these attributes)."""

    app_id: str
    db: Any
    schedulers: dict[str, Any]
    stopping: asyncio.Event


class HealthServer:
    def __init__(self, app: AppState, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, self.host, self.port)
        log.info("Health endpoint on http://%s:%s/health", self.host, self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def status(self, readiness: bool) -> tuple[int, dict[str, Any]]:
        app = self.app
        body: dict[str, Any] = {
            "app_id": app.app_id,
            "dag_ids": sorted(app.schedulers),
            "scheduling": bool(app.schedulers),
            "draining": app.stopping.is_set(),
        }
        if app.db is None:
            return 503, {**body, "status": "starting"}
        try:
            await asyncio.wait_for(app.db.fetchval("SELECT 1"), DB_CHECK_SECONDS)
        except Exception as exc:  # any failure to reach the metastore is the probe's answer, not an error here
            return 503, {**body, "status": "unhealthy", "detail": f"metastore: {type(exc).__name__}: {exc}"}
        if readiness and app.stopping.is_set():
            return 503, {**body, "status": "draining"}
        return 200, {**body, "status": "healthy"}

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            method, path = _request_line(head)
            if method != "GET":
                code, body = 405, {"detail": "Method Not Allowed"}
            elif path in ("/health", "/health/ready"):
                code, body = await self.status(readiness=path == "/health/ready")
            else:
                code, body = 404, {"detail": "Not Found"}
            payload = json.dumps(body).encode()
            reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}[code]
            writer.write(
                f"HTTP/1.0 {code} {reason}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass  # a client that sent no complete request gets no answer
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def _request_line(head: bytes) -> tuple[str, str]:
    if len(head) > REQUEST_LIMIT:
        raise ValueError("request too large")
    method, path, _version = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    return method, path.split("?", 1)[0]
