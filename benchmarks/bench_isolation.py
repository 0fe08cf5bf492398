"""What isolating a task process costs on the hop: starting a task process and one channel round trip.

    python benchmarks/bench_isolation.py [--tasks 200] [--requests 2000]

Fork server (what the app does today, app/fork_server.py): a real template process for a one-task DAG file; per
task the app makes the try's socket pair and log pipe, sends them to the template, which forks; the task process
reads its assignment from its channel and runs the isolation steps (descriptors, environment, capability drop)
and exits. Reported: the app-side cost (the time the app's event loop is blocked per launch, which is what a hop
pays in the app) and the wall time from the request to the exit reported back, against a plain in-app fork.

Task start: the app forks a task process that exits at once, measured from fork to reaped exit: bare; with the
isolation steps every try takes (inherited descriptors pointed at /dev/null, the environment scrubbed, rlimits
lowered); and with a pids cgroup per try on top (created, joined, emptied and removed). The differences are the
isolation's cost per task; joining a cgroup is mostly the kernel waiting (cgroup v1 migration), not CPU.
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
from riir_airflow.app.fork_server import ForkServer, TaskStart, _receive, send_start
from riir_airflow.app.limits import TaskCgroup, TaskLimits, address_space, apply_in_child
from riir_airflow.app.sandbox import close_inherited_descriptors, scrub_task_environment
from riir_airflow.engine.messages import GetVariable

LIMITS = TaskLimits(memory_mb=4096, cpu_seconds=3600, open_files=1024, processes=256)


def _fork_and_reap(isolated: bool, cgroup_per_try: bool) -> tuple[float, float]:
    """(wall seconds from fork to reaped exit, CPU seconds the task process used)."""
    started = time.perf_counter()
    cgroup = TaskCgroup.create(LIMITS.processes) if isolated and cgroup_per_try else None
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
    _, _, usage = os.wait4(pid, 0)
    parent.close()
    if cgroup is not None:
        cgroup.kill_all()
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def bench_start(tasks: int) -> dict[str, float]:
    """Interleaved, so machine load drifts hit the three variants alike."""
    runs: dict[str, list[tuple[float, float]]] = {"bare": [], "isolated": [], "cgroup": []}
    for _ in range(tasks):
        runs["bare"].append(_fork_and_reap(False, False))
        runs["isolated"].append(_fork_and_reap(True, False))
        runs["cgroup"].append(_fork_and_reap(True, True))
    out = {"cgroup": float(TaskCgroup.create(1) is not None)}
    for name, samples in runs.items():
        out[f"{name}_ms"] = statistics.median(wall for wall, _ in samples) * 1000
        out[f"{name}_cpu_ms"] = statistics.median(cpu for _, cpu in samples) * 1000
    return out


DAG_FILE = """
from airflow.sdk import DAG, task

def done(context):
    return None


with DAG("bench_isolation", schedule=None, on_success_callback=done):
    @task
    def noop():
        return None

    noop()
"""


def bench_fork_server(tasks: int) -> dict[str, float]:
    """Median app-side launch cost and request-to-exit wall time through a real fork server."""
    import tempfile

    import pendulum

    from riir_airflow import compat
    from riir_airflow.engine.records import DagRunRecord

    compat.install()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench_isolation_dag.py")
        with open(path, "w") as handle:
            handle.write(DAG_FILE)
        started = time.perf_counter()
        server = ForkServer.start(path)
        server.wait_ready(120)
        ready = time.perf_counter() - started
        now = pendulum.now("UTC")
        run = DagRunRecord("bench_isolation", "r1", "manual", now, now, now, now, state="success")
        app_side: list[float] = []
        app_cpu: list[float] = []
        task_cpu: list[float] = []
        to_exit: list[float] = []
        try:
            for _ in range(tasks):
                t0 = time.perf_counter()
                c0 = time.process_time()
                parent, child = socket.socketpair()
                read_fd, write_fd = os.pipe()
                pid = server.fork("bench_isolation", child.fileno(), write_fd)
                child.close()
                os.close(write_fd)
                send_start(parent, TaskStart(run))  # the run's DAG callback: a no-op, so the process ends at once
                app_side.append(time.perf_counter() - t0)
                app_cpu.append(time.process_time() - c0)
                task_cpu.append(_wait_exit(server, pid))
                to_exit.append(time.perf_counter() - t0)
                parent.close()
                os.close(read_fd)
        finally:
            server.close()
    return {
        "ready_s": ready,
        "app_side_ms": statistics.median(app_side) * 1000,
        "app_side_p90_ms": sorted(app_side)[int(len(app_side) * 0.9)] * 1000,
        "to_exit_ms": statistics.median(to_exit) * 1000,
        "app_cpu_ms": statistics.median(app_cpu) * 1000,
        "task_cpu_ms": statistics.median(task_cpu) * 1000,
    }


def _wait_exit(server: ForkServer, pid: int) -> float:
    """Blocks until the template reports `pid`'s exit (the app reads these on its event loop); its CPU seconds."""
    while True:
        message, _ = _receive(server.sock)
        if message is not None and message.get("op") == "exited" and message["pid"] == pid:
            return float(message["cpu"])


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
            client.request(GetVariable(key="k"))
        started = time.perf_counter()
        for _ in range(requests):
            client.request(GetVariable(key="k"))
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
    served = bench_fork_server(args.tasks)
    cost = start["isolated_ms"] - start["bare_ms"]
    cpu = start["isolated_cpu_ms"] - start["bare_cpu_ms"]
    print(
        f"task start, fork to reaped exit (median of {args.tasks}): bare {start['bare_ms']:.3f} ms; with fd/env/"
        f"rlimit isolation {start['isolated_ms']:.3f} ms (+{cost:.3f} ms wall, +{cpu:.3f} ms CPU per task; bare task "
        f"process CPU {start['bare_cpu_ms']:.3f} ms)"
    )
    if start["cgroup"]:
        extra = start["cgroup_ms"] - start["isolated_ms"]
        extra_cpu = start["cgroup_cpu_ms"] - start["isolated_cpu_ms"]
        print(f"  + a pids cgroup per try ([riir] task_pids_cgroup): {start['cgroup_ms']:.3f} ms "
              f"(+{extra:.3f} ms wall, +{extra_cpu:.3f} ms CPU)")  # fmt: skip
    else:
        print("  (no writable pids cgroup here: the per-try cgroup is not measured)")
    print(
        f"fork server (template ready in {served['ready_s']:.2f} s): app-side launch {served['app_side_ms']:.3f} ms "
        f"(p90 {served['app_side_p90_ms']:.3f} ms; socket pair, pipe, request, fork reply, assignment), request to "
        f"reaped exit {served['to_exit_ms']:.3f} ms (median of {args.tasks})\n"
        f"  CPU: app side {served['app_cpu_ms']:.3f} ms per launch; the task process from fork to exit (assignment,"
        f" isolation steps) {served['task_cpu_ms']:.3f} ms"
    )
    print(f"channel round trip ({args.requests} requests): {channel * 1e6:.1f} us per request")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
