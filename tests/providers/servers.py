"""Real local servers for the provider matrix: HTTP (also the Slack webhook endpoint), SMTP (aiosmtpd), FTP
(pyftpdlib). Each binds 127.0.0.1 on a free port, runs in a thread of the test process and records what it got."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class HttpServer:
    port: int
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, body
    user_agents: list[tuple[str, str]] = field(default_factory=list)  # path, User-Agent header

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def http_server() -> Iterator[HttpServer]:
    """GET /api/item -> {"id": 7, "name": "widget"}; GET /ready -> 200 "ready"; POST anything -> 200 echo of the
    body; every request is recorded."""
    state = HttpServer(port=0)

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: str, content_type: str = "application/json") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            state.requests.append(("GET", self.path, ""))
            state.user_agents.append((self.path, self.headers.get("User-Agent", "")))
            if self.path.startswith("/api/item"):
                self._reply(200, json.dumps({"id": 7, "name": "widget"}))
            elif self.path.startswith("/ready"):
                self._reply(200, "ready", "text/plain")
            else:
                self._reply(404, json.dumps({"error": "not found"}))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            state.requests.append(("POST", self.path, body))
            self._reply(200, "ok" if self.path.startswith("/slack") else body, "text/plain")

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the test asserts on `requests`
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpServer:
    port: int
    messages: list[Any] = field(default_factory=list)  # aiosmtpd Envelopes


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    state = SmtpServer(port=0)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            state.messages.append(envelope)
            return "250 Message accepted for delivery"

    state.port = free_port()  # aiosmtpd's controller cannot report a port chosen by the system
    controller = Controller(Handler(), hostname="127.0.0.1", port=state.port)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()


@dataclass
class FtpServer:
    port: int
    root: Path
    user: str = "riir"
    password: str = "secret"


@contextmanager
def ftp_server(root: Path) -> Iterator[FtpServer]:
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import ThreadedFTPServer

    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)  # one line per FTP command otherwise
    state = FtpServer(port=0, root=root)
    authorizer = DummyAuthorizer()
    authorizer.add_user(state.user, state.password, str(root), perm="elradfmwMT")

    class Handler(FTPHandler):
        pass

    Handler.authorizer = authorizer
    Handler.passive_ports = None
    server = ThreadedFTPServer(("127.0.0.1", 0), Handler)
    state.port = server.address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.2, "handle_exit": False}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.close_all()
        thread.join(10)


@contextmanager
def httpbin_server() -> Iterator[HttpServer]:
    """A small, deterministic stand-in for httpbin.org (which the http provider's example DAG calls): `/` says
    "httpbin"; /get, /post, /put, /delete answer {"args", "data", "form", "json", "method", "nested"} for the
    request (no headers: those name client library versions, which differ between environments)."""
    state = HttpServer(port=0)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            from urllib.parse import parse_qsl, urlsplit

            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            state.requests.append((self.command, self.path, body))
            if parts.path == "/":
                payload, content_type = "httpbin-like local server", "text/html"
            elif parts.path.strip("/") in ("get", "post", "put", "delete"):
                content = self.headers.get("Content-Type", "")
                answer = {
                    "args": dict(parse_qsl(parts.query)),
                    "data": body,
                    "form": dict(parse_qsl(body)) if "x-www-form-urlencoded" in content else {},
                    "json": json.loads(body) if "json" in content and body else None,
                    "method": self.command,
                    "nested": {"property": "value"},
                }
                payload, content_type = json.dumps(answer, sort_keys=True), "application/json"
            else:
                self.send_error(404)
                return
            data = payload.encode()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@dataclass
class SshServer:
    port: int
    root: Path  # the SFTP root (chroot)
    user: str = "riir"
    password: str = "secret"
    commands: list[str] = field(default_factory=list)


@contextmanager
def ssh_server(root: Path) -> Iterator[SshServer]:
    """An SSH server (asyncssh) with password login: commands run through /bin/sh in `root`; SFTP is rooted at
    `root`. It runs on its own event loop in a thread."""
    import asyncio

    import asyncssh

    state = SshServer(port=free_port(), root=root)
    loop = asyncio.new_event_loop()
    host_key = asyncssh.generate_private_key("ssh-ed25519")

    connections: list[Any] = []

    class Server(asyncssh.SSHServer):
        def connection_made(self, conn: Any) -> None:
            connections.append(conn)

        def begin_auth(self, username: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, username: str, password: str) -> bool:
            return username == state.user and password == state.password

    async def run_command(process: Any) -> None:
        command = process.command or ""
        state.commands.append(command)
        proc = await asyncio.create_subprocess_shell(
            command, cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await proc.communicate()
        process.stdout.write(out)
        process.stderr.write(err)
        process.exit(proc.returncode or 0)

    def sftp_factory(chan: Any) -> Any:
        return asyncssh.SFTPServer(chan, chroot=str(root))

    async def start() -> Any:
        return await asyncssh.create_server(
            Server, "127.0.0.1", state.port, server_host_keys=[host_key], process_factory=run_command,
            sftp_factory=sftp_factory, encoding=None,
        )  # fmt: skip

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield state
    finally:

        async def stop() -> None:
            server.close()
            await server.wait_closed()
            for conn in connections:  # a finished client may leave its connection (and SFTP session) open
                conn.close()
                await conn.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# What the stand-in for Slack answers per Web API method (https://api.slack.com/methods): the fields the slack
# provider reads. One public channel, #general; file uploads go to this server's own /upload/ URL.
SLACK_CHANNEL_ID = "C0GENERAL"
SLACK_FILE_ID = "F0FILE"


@contextmanager
def slack_server() -> Iterator[HttpServer]:
    """A local stand-in for Slack: the Web API under /api/ (connection extra `base_url`) and incoming webhooks under
    /services/ (the webhook connection's host). Deterministic answers; every request is recorded."""
    state = HttpServer(port=0)

    def api_answer(method: str) -> dict[str, Any]:
        channel = {"id": SLACK_CHANNEL_ID, "name": "general", "is_channel": True}
        answers: dict[str, dict[str, Any]] = {
            "chat.postMessage": {
                "channel": SLACK_CHANNEL_ID,
                "ts": "1700000000.000100",
                "message": {"type": "message"},
            },
            "conversations.list": {"channels": [channel], "response_metadata": {"next_cursor": ""}},
            "conversations.history": {"messages": [], "has_more": False, "response_metadata": {"next_cursor": ""}},
            "files.getUploadURLExternal": {
                "upload_url": f"http://127.0.0.1:{state.port}/upload/{SLACK_FILE_ID}",
                "file_id": SLACK_FILE_ID,
            },
            "files.completeUploadExternal": {"files": [{"id": SLACK_FILE_ID, "title": "uploaded"}]},
        }
        return {"ok": True, **answers.get(method, {})}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            from urllib.parse import urlsplit

            path = urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode(errors="replace") if length else ""
            state.requests.append((self.command, self.path, body))
            if path.startswith("/api/"):
                payload, content_type = json.dumps(api_answer(path.removeprefix("/api/"))), "application/json"
            elif path.startswith("/services/"):
                payload, content_type = "ok", "text/plain"  # what Slack's incoming webhooks answer
            elif path.startswith("/upload/"):
                payload, content_type = f"OK - {length}", "text/plain"
            else:
                self.send_error(404)
                return
            data = payload.encode()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
