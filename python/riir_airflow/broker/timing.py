"""`Server-Timing` on every response: how long the broker spent on the request, in wall time and in CPU time.

    Server-Timing: app;dur=12.3, cpu;dur=9.8

`app` is the wall time from the request reaching the application to its response headers being sent (for a page,
the whole render: the body is complete before the headers go out); `cpu` is the broker process's CPU time over the
same span, which a busy machine inflates much less than wall time (requests that overlap share it). Browsers show
both in their developer tools; benchmarks/bench_ui.py reads them. broker/edge.py adds it (two clock reads and a
header), outside everything else the broker does for a request.
"""

from __future__ import annotations

import time


def header_value(wall_start: float, cpu_start: float) -> bytes:
    """The header's value for a request that started at `time.perf_counter()` = wall_start and
    `time.process_time()` = cpu_start."""
    return (f"app;dur={1000 * (time.perf_counter() - wall_start):.1f}, "
            f"cpu;dur={1000 * (time.process_time() - cpu_start):.1f}").encode()  # fmt: skip


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
