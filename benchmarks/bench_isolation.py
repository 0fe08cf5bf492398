"""What isolating a task process costs on the hop: starting a task process and one channel round trip.

    python benchmarks/bench_isolation.py [--tasks 200] [--requests 2000]

Task start: the app forks a task process that exits at once, measured from fork to reaped exit, first bare, then
with every isolation step of a real try (a pids cgroup created, joined and removed, inherited descriptors pointed at
/dev/null, the environment scrubbed, rlimits lowered). The difference is the isolation's cost per task.
Channel: a task process's blocking `ChannelClient.request` against the app's asyncio server (length-prefixed JSON
over a socket pair, identity token checked), as `Variable.get` makes it; reports the round trip per request.
Both run in this process's interpreter, with ordinary imports (no DAG file): the cost measured is the mechanism.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import os
import socket
import statistics
import time

from riir_airflow.app.channel import ChannelClient, read_message, write_message
from riir_airflow.app.limits import TaskCgroup, TaskLimits, address_space, apply_in_child
from riir_airflow.app.sandbox import close_inherited_descriptors, scrub_task_environment

LIMITS = TaskLimits(memory_mb=4096, cpu_seconds=3600, open_files=1024, processes=256)


def _fork_and_reap(isolated: bool) -> float:
    started = time.perf_counter()
    cgroup = TaskCgroup.create(LIMITS.processes) if isolated else None
    base = address_space() if isolated else 0
    parent, child = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        if isolated:
            close_inherited_descriptors(keep=[child.fileno()])
            scrub_task_environment()
            apply_in_child(LIMITS, cgroup, base)
        os._exit(0)
    child.close()
    os.waitpid(pid, 0)
    parent.close()
    if cgroup is not None:
        cgroup.kill_all()
    return time.perf_counter() - started


def bench_start(tasks: int) -> dict[str, float]:
    bare = [_fork_and_reap(False) for _ in range(tasks)]
    isolated = [_fork_and_reap(True) for _ in range(tasks)]
    return {
        "bare_ms": statistics.median(bare) * 1000,
        "isolated_ms": statistics.median(isolated) * 1000,
        "isolation_cost_ms": (statistics.median(isolated) - statistics.median(bare)) * 1000,
        "cgroup": float(TaskCgroup.create(1) is not None),
    }


def bench_channel(requests: int) -> float:
    """Seconds per round trip, timed in a forked task process against this process's asyncio server."""
    token = "t" * 32
    app_end, task_end = socket.socketpair()
    timing_read, timing_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the task process: blocking requests, as Variable.get makes them
        app_end.close()
        client = ChannelClient(task_end, token=token)
        for _ in range(50):  # warm up
            client.request("variable", key="k")
        started = time.perf_counter()
        for _ in range(requests):
            client.request("variable", key="k")
        os.write(timing_write, str((time.perf_counter() - started) / requests).encode())
        os._exit(0)
    task_end.close()
    os.close(timing_write)

    async def serve() -> None:
        reader, writer = await asyncio.open_connection(sock=app_end)
        while (message := await read_message(reader)) is not None:
            ok = hmac.compare_digest(str(message.pop("token", "")), token)
            await write_message(writer, {"value": message["key"]} if ok else {"error": "bad token"})
        writer.close()

    asyncio.run(serve())
    os.waitpid(pid, 0)
    with os.fdopen(timing_read) as pipe:
        return float(pipe.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    start = bench_start(args.tasks)
    channel = bench_channel(args.requests)
    print(f"task start, fork to exit (median of {args.tasks}): bare {start['bare_ms']:.3f} ms, "
          f"isolated {start['isolated_ms']:.3f} ms -> isolation costs {start['isolation_cost_ms']:.3f} ms per task"
          f" (pids cgroup {'used' if start['cgroup'] else 'unavailable'})")  # fmt: skip
    print(f"channel round trip ({args.requests} requests): {channel * 1e6:.1f} us per request")


if __name__ == "__main__":
    main()
