"""Supervised child processes for `riir-airflow standalone`: start, restart with backoff, stop, prefixed output.

Each child runs `python -m riir_airflow ...` (an app: forked from the zygote instead, `cli/zygote.py`, when the
supervisor has one) in its own session (so a Ctrl-C at the terminal reaches only the
supervisor, which then stops the children in order) with the parent-death signal set to SIGTERM (so a supervisor
that is killed outright does not leave orphans). Every line a child prints goes to its log file under
`$AIRFLOW_HOME/logs/standalone/` and, prefixed with the child's name, to the console.

A child that exits on its own is restarted after a backoff that doubles from 1 s up to 60 s and starts again from
1 s once a child has stayed up for a minute: a DAG file that fails to import keeps its app in that loop (the app
records the import error in the metastore each time) without disturbing the other children.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from riir_airflow.cli.zygote import Zygote

log = logging.getLogger("riir_airflow.standalone")

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
STABLE_AFTER = 60.0  # seconds up after which a crash counts as a first crash again
PREFIX_WIDTH = 10  # Airflow's standalone pads the component name to 10 columns

_PR_SET_PDEATHSIG = 1
# An app forked from the zygote exits with this code to be forked again at once (a reparse of its DAG file was
# requested); an exec'd app re-executes itself instead (cli/app_command.py).
RELOAD_EXIT_CODE = 75


def die_with_parent() -> None:
    """In the child between fork and exec: receive SIGTERM when the supervisor dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class Console:
    """Writes `name | line` to the terminal; one instance shared by every child so lines never interleave."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def line(self, name: str, text: str) -> None:
        self.stream.write(f"{name:<{PREFIX_WIDTH}} | {text}\n")
        self.stream.flush()


class RunningProcess(Protocol):
    """What the supervisor uses of a child process: an exec'd one (asyncio.subprocess.Process) or an app forked
    from the zygote (cli/zygote.py ZygoteProcess)."""

    @property
    def pid(self) -> int: ...
    @property
    def returncode(self) -> int | None: ...
    @property
    def stdout(self) -> asyncio.StreamReader | None: ...
    async def wait(self) -> int: ...
    def send_signal(self, number: int) -> None: ...


@dataclass
class Child:
    """One supervised command. `argv` is what follows `python -m riir_airflow`; `forked`: fork it from the zygote
    (an app) when the supervisor has one."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str]
    forked: bool = False
    restart: bool = True  # False once the supervisor stops it on purpose
    process: RunningProcess | None = None
    started_at: float = 0.0
    backoff: float = FIRST_BACKOFF
    restarts: int = 0
    last_exit: int | None = None
    _runner: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.process.returncode is None else None


class Supervisor:
    """Runs children, restarts those that die, and stops them (all, or one) on request."""

    def __init__(
        self, console: Console, *, on_exit: Callable[[Child, int], None] | None = None, zygote: Zygote | None = None
    ) -> None:
        self.console = console
        self.children: dict[str, Child] = {}
        self.on_exit = on_exit
        self.zygote = zygote

    def say(self, text: str) -> None:
        self.console.line("standalone", text)

    def start(self, child: Child) -> None:
        """Starts `child` and keeps it running until `stop(child.name)`."""
        if child.name in self.children:
            raise ValueError(f"a child named {child.name!r} is already supervised")
        self.children[child.name] = child
        child._runner = asyncio.get_running_loop().create_task(self._keep_running(child))

    async def _spawn(self, child: Child) -> RunningProcess:
        child.log_path.parent.mkdir(parents=True, exist_ok=True)
        if child.forked and self.zygote is not None:
            from riir_airflow.cli.zygote import ZygoteError

            try:
                return await self.zygote.spawn_app(child.argv, child.env)
            except ZygoteError as exc:
                self.say(f"{child.name}: {exc}; starting it as a process of its own")
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "riir_airflow", *child.argv,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env=dict(child.env), start_new_session=True, preexec_fn=die_with_parent,
        )  # fmt: skip

    async def _pump(self, child: Child, process: RunningProcess) -> None:
        """Copies the child's output to its log file and, prefixed, to the console."""
        assert process.stdout is not None
        with open(child.log_path, "a", encoding="utf-8") as log_file:
            while line := await process.stdout.readline():
                text = line.decode(errors="backslashreplace").rstrip("\n")
                log_file.write(text + "\n")
                log_file.flush()
                self.console.line(child.name, text)

    async def _keep_running(self, child: Child) -> None:
        while child.restart:
            process = await self._spawn(child)
            child.process = process
            child.started_at = time.monotonic()
            await self._pump(child, process)
            code = await process.wait()
            child.last_exit = code
            # Whatever the child left in its process group (it is the group leader) goes with it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            if self.on_exit is not None:
                self.on_exit(child, code)
            if not child.restart:
                break
            if code == RELOAD_EXIT_CODE and child.forked:
                self.say(f"{child.name} reloads its DAG file")
                continue  # asked to be started again at once: a reparse, not a crash
            if time.monotonic() - child.started_at >= STABLE_AFTER:
                child.backoff = FIRST_BACKOFF
            self.say(f"{child.name} exited with {_describe_exit(code)}; restarting in {child.backoff:.0f}s")
            await self._sleep_unless_stopped(child, child.backoff)
            child.backoff = min(child.backoff * 2, MAX_BACKOFF)
            child.restarts += 1

    async def _sleep_unless_stopped(self, child: Child, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while child.restart and time.monotonic() < deadline:
            await asyncio.sleep(min(0.2, deadline - time.monotonic()))

    async def stop(self, name: str, grace: float) -> int | None:
        """SIGTERM the child (an app drains: running tries finish), SIGKILL after `grace` seconds; returns its exit
        code (None if it was not running)."""
        child = self.children.pop(name)
        child.restart = False
        process = child.process
        code: int | None = None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                code = await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                self.say(f"{name} did not stop within {grace:.0f}s: killing it")
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                code = await process.wait()
        if child._runner is not None:
            await child._runner
        return code

    async def stop_all(self, grace: float) -> None:
        """Stops every child, then the zygote (its apps are gone by then)."""
        await asyncio.gather(*(self.stop(name, grace) for name in list(self.children)))
        if self.zygote is not None:
            await self.zygote.close()


def _describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
    return f"exit code {code}"
