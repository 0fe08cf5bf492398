"""Loaded by `benchmarks/hop_trace.py` into the DAG app it starts (PYTHONPATH): every statement the app sends over
asyncpg appends one line to `$RIIR_HOP_TRACE.<pid>` — start and end on the monotonic clock, the connection, the
statement's first words. Nothing else in the app changes."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

_TRACE = os.environ.get("RIIR_HOP_TRACE")

if _TRACE:
    from asyncpg import connection

    _out = open(f"{_TRACE}.{os.getpid()}", "a", buffering=1)  # noqa: SIM115 - open for the life of the process
    _numbers: dict[int, int] = {}

    @contextlib.contextmanager
    def _time_and_log(self: Any, query: str, args: Any, timeout: Any) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            end = time.monotonic()
            number = _numbers.setdefault(id(self), len(_numbers) + 1)
            # Enough to reach the function a statement calls after a WITH (a result carrying log lines).
            words = " ".join(str(query).split())[:400]
            _out.write(f"{start:.6f}\t{end:.6f}\t{number}\t{words}\n")

    def _ignore(*_args: Any) -> None:
        pass

    _original_init = connection.Connection.__init__

    def _init(self: Any, *args: Any, **kwargs: Any) -> None:
        _original_init(self, *args, **kwargs)
        self.add_query_logger(_ignore)  # asyncpg times and logs statements only while a logger is registered

    connection.Connection.__init__ = _init  # type: ignore[method-assign]
    connection.Connection._time_and_log = _time_and_log  # type: ignore[attr-defined]
