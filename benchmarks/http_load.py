"""A lean HTTP/1.1 load generator for bench_broker.py: keep-alive GET requests over asyncio streams, nothing else.

A general-purpose client (httpx: its connection pool, h11's pure-Python parser, response objects) spends about as much
CPU per request as riir's broker does to answer a list request, and on a 2-core machine with the client beside the
server, a single client's latency is the client's time plus the server's. The load generators of HTTP benchmarks
(wrk, oha, ab) are lean for that reason; so is this one: it writes a fixed request, reads the status line and
headers, then exactly Content-Length bytes (or the chunks of a chunked body), and checks the status. Both sides of
the benchmark are measured with it, and bench_broker.py prints the client's own CPU per request beside the servers'.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import urlsplit

IDLE_LIMIT_S = 1.0  # a connection idle longer is replaced before use: a server's keep-alive timeout may be closing it


class Dropped(Exception):
    """The server closed or reset the connection without answering."""


class HttpStatusError(Exception):
    pass


class Connection:
    """One keep-alive connection, one request at a time."""

    def __init__(self, host: str, port: int, head: bytes) -> None:
        self.host, self.port, self.head = host, port, head
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    async def get(self, path: str) -> int:
        """GET `path`; the body's length. Raises Dropped, HttpStatusError (not 2xx) or ConnectionRefusedError."""
        if self.writer is None or time.monotonic() - self.last_used > IDLE_LIMIT_S:
            await self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 22)
        assert self.reader is not None and self.writer is not None
        try:
            self.writer.write(b"GET " + path.encode() + self.head)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status, length, chunked, close = _parse_head(head)
            body = await (_read_chunked(self.reader) if chunked else self.reader.readexactly(length))
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as err:
            await self.close()
            raise Dropped(str(err)) from err
        self.last_used = time.monotonic()
        if close:
            await self.close()
        if not 200 <= status < 300:
            raise HttpStatusError(f"GET {path}: HTTP {status}: {body[:300]!r}")
        return len(body)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def connection(url: str, headers: dict[str, str]) -> Connection:
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.hostname and parts.port, url
    lines = [f"Host: {parts.hostname}:{parts.port}", *(f"{name}: {value}" for name, value in headers.items())]
    return Connection(parts.hostname, parts.port, (" HTTP/1.1\r\n" + "\r\n".join(lines) + "\r\n\r\n").encode())


def _parse_head(head: bytes) -> tuple[int, int, bool, bool]:
    """(status, content length, chunked, connection close) of a response's status line and headers."""
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    length, chunked, close = 0, False, False
    for line in header_lines:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif name == "connection":
            close = value.strip().lower() == "close"
    return status, length, chunked, close


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # the empty trailer
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
