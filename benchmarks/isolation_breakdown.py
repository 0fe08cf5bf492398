"""Where the time of a try goes between its start request and its end being seen: `bench_isolation.py --breakdown`.

`install()` wraps, in the benchmark's process before it forks the fork server (so that the template and every task
process carry the wrappers), the points a try passes: the task process sending its result and calling `os._exit`
(after it closed its channel and output), the template reaping it, the app seeing its exit report, its channel and
its output closing; and, for a spare being prepared meanwhile, its confinement and its cgroup join, and the removal
of a try's cgroup (in a worker thread). Each point appends `time pid label subject` (monotonic clock) to one file;
`report()` turns the file and the benchmark's own stamps into medians per way. Nothing of this runs without
`--breakdown`: the wrappers cost a file append each, which the figures then include.
"""

from __future__ import annotations

import functools
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_path: str | None = None


def stamp(label: str, subject: object = "") -> None:
    if _path is None:
        return
    line = f"{time.monotonic():.6f} {os.getpid()} {label} {subject}\n".encode()
    try:  # opened each time: a task process closes every descriptor it inherited
        fd = os.open(_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:  # the benchmark's folder is gone (its last forks)
        return
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _around(owner: Any, name: str, label: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        stamp(f"{label}.begin")
        try:
            return original(*args, **kwargs)
        finally:
            stamp(f"{label}.end")

    setattr(owner, name, wrapper)


def install(path: Path) -> None:
    global _path
    _path = str(path)
    from riir_airflow.app import channel, child, executor, fork_server, limits

    _around(child, "confine", "confine")
    _around(limits.TaskCgroup, "join", "join")
    _around(limits.TaskCgroup, "kill_all", "cgroup_removal")

    send = channel.ChannelClient.send

    def send_stamped(self: Any, message: Any) -> None:
        send(self, message)
        if type(message).__name__ == "ReportResult":
            stamp("result_sent")

    channel.ChannelClient.send = send_stamped  # type: ignore[method-assign]

    exit_now = os._exit

    def exit_stamped(code: int) -> Any:
        stamp("exit")
        exit_now(code)

    os._exit = exit_stamped  # type: ignore[assignment]

    wait4 = os.wait4

    def wait4_stamped(pid: int, options: int) -> Any:  # the template reaping its task processes
        reaped = wait4(pid, options)
        if reaped[0]:
            stamp("reaped", reaped[0])
        return reaped

    os.wait4 = wait4_stamped

    record_exit = fork_server.ForkServer._record_exit

    def record_exit_stamped(self: Any, pid: int, code: int) -> None:
        stamp("exit_reported", pid)
        record_exit(self, pid, code)

    fork_server.ForkServer._record_exit = record_exit_stamped  # type: ignore[method-assign]

    def after(name: str, label: str) -> None:
        original = getattr(executor.ForkExecutor, name)

        async def stamped(self: Any, *args: Any) -> Any:
            try:
                return await original(self, *args)
            finally:
                stamp(label)

        setattr(executor.ForkExecutor, name, stamped)

    after("_serve", "channel_closed")
    after("_pump_logs", "output_closed")


@dataclass
class Try:
    way: str
    pid: int
    started: float  # the start request, in the app
    running: float  # the task's code starts (its own stamp)
    done: float  # the app has the try's end


def _events(path: Path) -> list[tuple[float, int, str, str]]:
    rows = []
    for line in path.read_text().splitlines():
        fields = line.split(" ", 3)
        rows.append((float(fields[0]), int(fields[1]), fields[2], fields[3] if len(fields) > 3 else ""))
    return sorted(rows)


def report(path: Path, tries: list[Try], ways: tuple[str, ...]) -> None:
    events = _events(path)
    by_pid: dict[int, dict[str, float]] = defaultdict(dict)  # first time each label was stamped by a process
    reaped: dict[int, float] = {}
    intervals: dict[str, list[tuple[float, float]]] = defaultdict(list)
    opened: dict[tuple[int, str], float] = {}
    for at, pid, label, subject in events:
        by_pid[pid].setdefault(label, at)
        if label == "reaped":
            reaped.setdefault(int(subject), at)
        if label.endswith(".begin"):
            opened[(pid, label[:-6])] = at
        elif label.endswith(".end") and (pid, label[:-4]) in opened:
            intervals[label[:-4]].append((opened.pop((pid, label[:-4])), at))

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:7.2f}" if values else "      -"

    phases: dict[str, Callable[[Try], float | None]] = {
        "request -> task code running": lambda t: t.running - t.started,
        "task code running -> result sent": lambda t: _minus(by_pid[t.pid].get("result_sent"), t.running),
        "result sent -> end seen by the app": lambda t: _minus(t.done, by_pid[t.pid].get("result_sent")),
        "  (exit called -> reaped: off the path)": lambda t: _minus(reaped.get(t.pid), by_pid[t.pid].get("exit")),
        "request -> end seen by the app": lambda t: t.done - t.started,
    }
    print("breakdown (median ms per way; stamps in every process on one monotonic clock):")
    print("  " + " " * 42 + "".join(f"{way:>14}" for way in ways))
    for name, phase in phases.items():
        cells = []
        for way in ways:
            values = [v for t in tries if t.way == way and (v := phase(t)) is not None]
            cells.append(f"{ms(values):>14}")
        print(f"  {name:<42}" + "".join(cells))
    spare_tries = [t for t in tries if t.way == "spare"]
    overlapping = sum(1 for t in spare_tries if any(b < t.done and e > t.started for b, e in intervals["confine"]))
    print(
        f"  spare preparation: confinement {ms([e - b for b, e in intervals['confine']]).strip()} ms, of which the "
        f"cgroup join {ms([e - b for b, e in intervals['join']]).strip()} ms (kernel wait); overlapping "
        f"{overlapping}/{len(spare_tries)} spare tries; a try's cgroup removal (worker thread) "
        f"{ms([e - b for b, e in intervals['cgroup_removal']]).strip()} ms"
    )


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b
