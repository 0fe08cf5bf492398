"""The local channel between the app and a task process: length-prefixed JSON messages over a socket pair.

Task processes hold no database credentials. They ask their app for what they need (XComs of other tasks,
variables, connections) and send their result back over this channel — the role Airflow's Execution API plays.
The messages are the typed records of `engine/messages.py`; this module only frames them.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from typing import Any

from riir_airflow.engine.messages import Message, Reply, Request, to_wire

_HEADER = struct.Struct("!I")
MAX_MESSAGE = 64 * 1024 * 1024


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    if len(body) > MAX_MESSAGE:
        raise ValueError(f"message of {len(body)} bytes is larger than {MAX_MESSAGE}")
    return _HEADER.pack(len(body)) + body


class ChannelClient:
    """The task process's end: blocking request/response calls. Every message carries the try's identity token
    (a random value the app made for this try), which the app checks before answering."""

    def __init__(self, sock: socket.socket, token: str | None = None) -> None:
        self.sock = sock
        self.token = token

    def _recv_exact(self, size: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < size:
            chunk = self.sock.recv(size - len(chunks))
            if not chunk:
                raise ConnectionError("the DAG app closed the task channel")
            chunks.extend(chunk)
        return bytes(chunks)

    def send(self, message: Message) -> None:
        wire = to_wire(message)
        if self.token is not None:
            wire["token"] = self.token
        self.sock.sendall(encode(wire))

    def request(self, request: Request) -> Any:
        """Sends a request and returns the value of the app's reply (RuntimeError with the app's error)."""
        self.send(request)
        (size,) = _HEADER.unpack(self._recv_exact(_HEADER.size))
        reply = Reply.from_wire(json.loads(self._recv_exact(size)))
        if reply.error is not None:
            raise RuntimeError(f"the DAG app could not answer {request.OP}: {reply.error}")
        return reply.value


async def read_message(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The next message from a task process, or None when it closed the channel."""
    try:
        header = await reader.readexactly(_HEADER.size)
        (size,) = _HEADER.unpack(header)
        if size > MAX_MESSAGE:
            raise ValueError(f"message of {size} bytes is larger than {MAX_MESSAGE}")
        body = await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        return None
    message = json.loads(body)
    if not isinstance(message, dict):
        raise ValueError("a channel message must be a JSON object")
    return message


async def write_message(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
    writer.write(encode(message))
    await writer.drain()
