"""Resource limits of one task process, so a fork bomb or a memory hog fails its own try and nothing else.

- memory: `resources={"ram": MB}` on the operator (Airflow's Resources), else `[riir] task_memory_limit_mb`
  (default 4096, 0 = none): RLIMIT_AS is set to the address space the forked process already has plus that many MB,
  so allocations beyond it fail with MemoryError inside the task;
- CPU time: `[riir] task_cpu_limit_seconds` (0 = none), plus execution_timeout when the task has one (RLIMIT_CPU:
  SIGXCPU, then SIGKILL);
- open files: `[riir] task_max_open_files` (default 1024, RLIMIT_NOFILE);
- processes: `[riir] task_max_processes` (default 256) in a pids cgroup of its own (cgroup v2, or the v1 pids
  controller) when the app may create one; RLIMIT_NPROC as well when the task runs as an ordinary user (root
  ignores RLIMIT_NPROC). The cgroup also lets the app kill every process of the try, even ones that left its
  process group.

The app creates the cgroup before the task process is forked; the process joins it while it confines itself, before
it reads its assignment (so a spare process made ahead of time has paid for the join before its try is known), and
lowers its rlimits, which depend on the task, once the assignment has come — all before any user code runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from riir_airflow.config import AirflowConfigParser, conf

MB = 1024 * 1024
KILL_WAIT_SECONDS = 5.0  # a killed process is gone within milliseconds unless stuck in the kernel


@dataclass(frozen=True)
class TaskLimits:
    memory_mb: int | None
    cpu_seconds: int | None
    open_files: int | None
    processes: int | None
    pids_cgroup: bool = True  # `[riir] task_pids_cgroup`: a cgroup per try (moving a process into it takes ~10 ms
    # on cgroup v1, the kernel waiting for an RCU grace period, which the app's spare task process pays ahead of
    # its try; off, the process limit is RLIMIT_NPROC only)


def _ram_of(task: Any) -> float | None:
    resources = getattr(task, "resources", None)
    if resources is None:
        return None
    ram = resources.get("ram") if isinstance(resources, dict) else getattr(resources, "ram", None)
    if isinstance(ram, dict):
        ram = ram.get("qty")
    qty = getattr(ram, "qty", ram)
    return float(qty) if isinstance(qty, int | float) and qty > 0 else None


def configured_limits(config: AirflowConfigParser | None = None) -> TaskLimits:
    """What the configuration gives every task (`[riir] task_*`): read once by the app, not per try (a config
    lookup costs about 0.1 ms)."""
    cfg = config or conf
    return TaskLimits(
        cfg.getint("riir", "task_memory_limit_mb", fallback=4096) or None,
        cfg.getint("riir", "task_cpu_limit_seconds", fallback=0) or None,
        cfg.getint("riir", "task_max_open_files", fallback=1024) or None,
        cfg.getint("riir", "task_max_processes", fallback=256) or None,
        cfg.getboolean("riir", "task_pids_cgroup", fallback=True),
    )


def limits_for(task: Any, configured: TaskLimits | None = None) -> TaskLimits:
    """A task's limits: the configured ones, with its own memory (`resources`) and a CPU budget from its
    execution_timeout."""
    base = configured or configured_limits()
    ram = _ram_of(task)
    cpu = base.cpu_seconds
    timeout = getattr(task, "execution_timeout", None)
    if timeout is not None:
        # CPU can only be spent while the wall clock runs; threads may spend it faster, so give room.
        budget = int(timeout.total_seconds() * (os.cpu_count() or 1)) + 5
        cpu = min(cpu, budget) if cpu is not None else budget
    return replace(base, memory_mb=int(ram) if ram is not None else base.memory_mb, cpu_seconds=cpu)


def address_space() -> int:
    """Bytes of virtual address space this process maps now (VmSize)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _lower(kind: int, value: int) -> None:
    """Set the soft and hard limit to `value` unless the current hard limit is already lower."""
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY and hard < value:
        value = hard
    resource.setrlimit(kind, (value, value))


def lower_rlimits(limits: TaskLimits, base_address_space: int) -> None:
    """In the task process, before user code: lower the rlimits for good. `base_address_space` is the process's
    VmSize before its assignment (what the template's fork gave it); the memory limit is that plus the task's MB."""
    if limits.memory_mb is not None:
        _lower(resource.RLIMIT_AS, base_address_space + limits.memory_mb * MB)
    if limits.cpu_seconds is not None:
        _lower(resource.RLIMIT_CPU, limits.cpu_seconds)
    if limits.open_files is not None:
        _lower(resource.RLIMIT_NOFILE, limits.open_files)


def apply_process_limit_for_user(limits: TaskLimits) -> None:
    """After switching to an ordinary user: RLIMIT_NPROC counts that user's processes (root is exempt)."""
    if limits.processes is not None and os.getuid() != 0:
        _lower(resource.RLIMIT_NPROC, limits.processes)


class TaskCgroup:
    """A pids cgroup for one try: at most `max_processes` processes; `kill_all` reaches every one of them.

    Its name says which app made it (`try-PID.START-RANDOM`, START being the app's start time in clock ticks, so a
    reused pid is not taken for it): an app that starts removes the cgroups of apps that are gone (`sweep_stale`).
    Creating or removing a cgroup waits for the kernel's cgroup lock, which a process joining a cgroup holds for
    a whole RCU grace period on cgroup v1 (~10 ms): removal (`kill_all`) is for a worker thread, not an event loop.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, max_processes: int | None) -> TaskCgroup | None:
        """A new cgroup under `riir-airflow/`, or None where the app may not create one (then rlimits only)."""
        if max_processes is None or not _PIDS_HIERARCHIES:
            return None
        for root, v2 in _PIDS_HIERARCHIES:
            path = root / "riir-airflow" / f"try-{_this_app()}-{uuid.uuid4().hex[:8]}"
            try:
                path.parent.mkdir(exist_ok=True)
                if v2:
                    (path.parent / "cgroup.subtree_control").write_text("+pids")
                path.mkdir()
                (path / "pids.max").write_text(str(max_processes))
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            return cls(path)
        return None

    def join(self) -> None:
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def leave(self) -> None:
        """Moves this process back to the hierarchy's root (`create` makes every cgroup two levels below it) and
        removes the cgroup: what a spare task process that was never needed does before it exits, so that its
        cgroup goes even when its app was killed and cannot remove it."""
        (self.path.parent.parent / "cgroup.procs").write_text(str(os.getpid()))
        self.path.rmdir()

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill_processes(self) -> None:
        """SIGKILL every process in the try's cgroup now, without waiting for them to go (for the event loop)."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def kill_all(self, timeout: float = KILL_WAIT_SECONDS) -> bool:
        """SIGKILL every process in the try's cgroup, wait until they are gone (a killed process leaves its cgroup
        only once the kernel has torn it down), then remove the cgroup. Blocks: call it from a worker thread.
        False when the cgroup is still there after `timeout` seconds (a process in uninterruptible sleep)."""
        deadline = time.monotonic() + timeout
        pause = 0.001
        while pids := self.pids():
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() >= deadline:
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        try:
            self.path.rmdir()
        except FileNotFoundError:
            return True
        except OSError:
            return False
        return True

    @classmethod
    def sweep_stale(cls) -> list[Path]:
        """Removes the cgroups of tries whose app is gone (killed before it could remove them), with any process
        still in them; returns those removed. Cgroups of running apps, this one included, are left alone."""
        removed: list[Path] = []
        for root, _ in _PIDS_HIERARCHIES:
            try:
                entries = list((root / "riir-airflow").iterdir())
            except OSError:
                continue
            for path in entries:
                match = _TRY_NAME.fullmatch(path.name)
                if match is None or not path.is_dir():
                    continue
                pid, started = int(match["pid"]), match["started"]
                if _owner_of(pid) == f"{pid}.{started}" or (started is None and _owner_of(pid) is not None):
                    continue  # its app runs (a name without a start time: any process with that pid counts)
                if cls(path).kill_all():
                    removed.append(path)
        return removed


_TRY_NAME = re.compile(r"try-(?P<pid>\d+)(?:\.(?P<started>\d+))?-[0-9a-f]+")


_this_app_cache: tuple[int, str] | None = None


def _this_app() -> str:
    """`_owner_of` this process, read once per process."""
    global _this_app_cache
    if _this_app_cache is None or _this_app_cache[0] != os.getpid():
        _this_app_cache = (os.getpid(), _owner_of(os.getpid()) or str(os.getpid()))
    return _this_app_cache[1]


def _owner_of(pid: int) -> str | None:
    """`PID.START` for a live process (START: when it started, in clock ticks since boot), None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return f"{pid}.{stat.rsplit(')', 1)[1].split()[19]}"  # field 22: starttime


def _pids_hierarchies() -> list[tuple[Path, bool]]:
    """Mount points of the pids controller: (path, is cgroup v2), from /proc/self/mounts."""
    found: list[tuple[Path, bool]] = []
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return found
    for line in mounts:
        fields = line.split()
        if len(fields) < 4:
            continue
        point, kind, options = Path(fields[1]), fields[2], fields[3].split(",")
        if kind == "cgroup" and "pids" in options:
            found.append((point, False))
        elif kind == "cgroup2":
            try:
                if "pids" in (point / "cgroup.controllers").read_text().split():
                    found.append((point, True))
            except OSError:
                continue
    return found


_PIDS_HIERARCHIES = _pids_hierarchies()  # mounts do not change under a running app
