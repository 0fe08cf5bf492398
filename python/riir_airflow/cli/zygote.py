"""The zygote: one clean, pre-loaded process from which `riir-airflow standalone` forks its DAG apps.

An app started by exec imports riir (~25 MB of private memory, most of it code objects) in its own interpreter, so
N apps hold N copies. The supervisor instead starts one zygote with a scrubbed environment (no database URL, no
Fernet key, no secret of `app/sandbox.py`'s list, a secret-free copy of the config file), which imports what an app
needs, freezes it out of the garbage collector's reach (`gc.freeze()`) and forks each app on request: the apps
share those pages copy-on-write.

The zygote never runs DAG code and never holds a secret. An app forked from it:
1. leaves the zygote's state (its own session, the parent-death signal, output to the supervisor's pipe, the
   environment the supervisor sent without its secrets, `RIIR_SECRET_ENV_FD` naming a socket to the supervisor);
2. runs `riir-airflow app PATH` as usual: imports its DAG file and forks its fork server (app/fork_server.py), which
   closes that socket first thing — so the template of its task processes never held a secret either;
3. only then asks for its secrets on the socket (`sandbox.load_secret_environment`); the supervisor answers that one
   request, so nothing secret ever passes through the zygote or sits in a descriptor the template inherited.

Each app also gets a line to the zygote (a socket named by `RIIR_ZYGOTE_LINE_FD`), on which it asks for a new
template when it needs one again (its first one it forks itself, above; the executor closes an idle one):
`request_template` — the app cannot fork that one from itself, it holds its secrets by then. The zygote forks it
with the app's environment as PID 1 of a new PID namespace, like the app's own (app/pid_namespace.py); a fork of a
preloaded process importing one DAG file takes milliseconds, where a new interpreter (`ForkServer.start`) takes
~0.4 s. No template holds a line (the app's own closes it first thing, the zygote's never had one), so no task
process can ask the zygote for anything. The zygote forgets a line when its app exits (end of file).

`probe` requests serve `standalone`'s `db grant-app`: a process forked from the zygote imports the DAG file as a
fork server would (`fork_server.serve`) and reports its DAG ids, instead of a new interpreter per file.

The zygote reaps what it forks and reports each exit to the supervisor, but the templates' (the supervisor never
heard of them; their app watches them through a pidfd); it exits when the supervisor closes the
control socket, and with the supervisor (parent-death signal), its apps with it (theirs points at the zygote).

Control messages are JSON, one per SOCK_SEQPACKET packet (descriptors by SCM_RIGHTS):
    zygote -> supervisor   {"op": "ready"}
    supervisor -> zygote   {"op": "app", "id": N, "argv": [...], "env": {...}}  with [output pipe, secrets socket]
    supervisor -> zygote   {"op": "probe", "id": N, "path": P, "env": {...}}     with [fork server socket]
    zygote -> supervisor   {"op": "forked", "id": N, "pid": P}  |  {"op": "forked", "id": N, "error": "..."}
    zygote -> supervisor   {"op": "exited", "pid": P, "code": C}
    app -> zygote          {"op": "template", "path": P}                         with [the app's output]
    zygote -> app          {"op": "template", "pid": P}  with [its control socket, a pidfd]  |  {"op": "template",
                           "error": "..."}

A Kubernetes app (`riir-airflow app PATH`, one per pod) has nothing to share with and keeps the re-exec of
`sandbox.hide_secret_environment`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import importlib
import json
import os
import select
import shutil
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from riir_airflow.app.fork_server import PROCESS_NAME as FORK_SERVER_PROCESS_NAME
from riir_airflow.app.fork_server import (
    ForkServer,
    ForkServerError,
    drain_wakeups,
    pending_messages,
    poll_control_and_child_exits,
    receive_message,
    send_message,
    set_process_name,
)
from riir_airflow.app.fork_server import serve as serve_fork_server
from riir_airflow.app.pid_namespace import children_in_new_namespace
from riir_airflow.app.sandbox import (
    SANITIZED_FOLDER_ENV,
    SECRET_ENV_FD,
    ZYGOTE_LINE_FD,
    is_secret_variable,
    split_secret_environment,
)
from riir_airflow.cli.supervisor import die_with_parent

CONTROL_FD_ENV = "RIIR_ZYGOTE_FD"
FORKED_ENV = "RIIR_FORKED_FROM_ZYGOTE"  # "1" in an app forked from the zygote
PROCESS_NAME = b"riir-zygote"  # /proc/PID/comm of the zygote; `ps` shows its command line for its apps too
APP_PROCESS_NAME = b"riir-app"  # /proc/PID/comm of an app forked from it
READY_TIMEOUT = 300.0
# What `riir-airflow app PATH` imports before and after its DAG file, its fork server and task processes included:
# riir's own modules and the third-party ones they pull in. Never a DAG file, a plugin or a provider hook: user
# code runs only in the forked apps.
PRELOADED = (
    "riir_airflow.cli.main",
    "riir_airflow.cli.app_command",
    "riir_airflow.app.service",
    "riir_airflow.app.child",
    "riir_airflow.app.import_guard",
    "riir_airflow.app.health",
    "riir_airflow.runtime.task_runner",
    "riir_airflow.runtime.manifests",
    "riir_airflow.dag_processing.loader",
    "riir_airflow.sdk",
    "riir_airflow.decorators",
    "riir_airflow.operators",
    "riir_airflow.authoring.template_environment",
    "riir_airflow.authoring.priority",
    "riir_airflow.schedules.timetables",
    "riir_airflow.schedules.presets",
    "riir_airflow.schedules.partition_mappers",
    "riir_airflow.schedules.partition_timetables",
    "riir_airflow.metastore.roles",
    "riir_airflow.app.pid_namespace",
    # The zygote itself runs as __main__: an app reading FORKED_ENV from this module would import a second copy.
    "riir_airflow.cli.zygote",
    "riir_airflow.plugins.listeners",
    "riir_airflow.providers.standard.operators.empty",
    "riir_airflow.providers.standard.operators.python",
    "riir_airflow.providers.standard.operators.bash",
    "jinja2.ext",
    "jinja2.sandbox",
    "jinja2.nativetypes",
    "pluggy",
    "asyncpg",
)


class ZygoteError(RuntimeError):
    """The zygote could not start, died, or could not fork."""


# --- the zygote process --------------------------------------------------------------------------------------------
def preload() -> None:
    """Imports what every app needs and moves it out of the collector's sight: a collection in an app then neither
    scans these objects nor writes to (and so copies) their pages."""
    from riir_airflow.compat import install_from_env

    install_from_env()  # the apps import `airflow...` as riir when RIIR_AIRFLOW_COMPAT is set: so must this process
    for name in PRELOADED:
        importlib.import_module(name)
    # The installed providers' config defaults (their `get_provider_info`, read on the first lookup of an unset
    # option that neither Airflow nor riir defines, e.g. by a DAG file or a task): read once here for every app,
    # as every Airflow component reads them once at its start. An idle app itself never needs them.
    from riir_airflow.config import provider_defaults

    provider_defaults()
    if "airflow" in sys.modules or os.environ.get("RIIR_AIRFLOW_COMPAT") == "1":
        with contextlib.suppress(ImportError):
            importlib.import_module("airflow.sdk")
    run_app_start_once()
    gc.collect()
    gc.freeze()


def run_app_start_once() -> None:
    """Parses an app's command line, imports and serializes riir's own sample DAG (`zygote_sample_dag.py`), as an
    app does with its own right after its fork. The first run of that code writes to memory the apps share: CPython
    3.11 counts calls in each code object before it rewrites the bytecode in place, and caches (type attribute
    lookups, compiled regular expressions, the cron parser) fill on first use. Done here once, importing a DAG file
    copies ~1 MB fewer of the zygote's pages into an app, and an idle app ends up ~0.5 MB smaller. Through
    `DagBag.process_file`, so no plugin is loaded (the zygote runs no user code)."""
    from riir_airflow.dag_processing.loader import DagBag
    from riir_airflow.serialization.serialized_dag import dag_hash, serialize_dag

    sample = str(Path(__file__).with_name("zygote_sample_dag.py"))
    bag = DagBag(sample, collect_dags=False)
    dags = bag.process_file(sample, only_if_updated=False)
    if bag.import_errors or not dags:
        raise RuntimeError(f"the zygote's sample DAG did not load: {bag.import_errors}")
    for dag in dags:
        dag_hash(serialize_dag(dag))
    # `riir-airflow app PATH`, parsed as cli/main.py and cli/app_command.py parse it (~0.2 MB of the above); nothing
    # runs.
    from riir_airflow.cli.app_command import _app_parsers
    from riir_airflow.cli.main import _parser_for

    argv = ["app", sample]
    args, extra = _parser_for(argv).parse_known_args(argv)
    _app_parsers()["run"].parse_args([*extra, *args.argv])
    asyncio.run(_talk_as_a_try())


async def _talk_as_a_try() -> None:
    """The streams an app's executor reads a try through, once, on a socket pair and a pipe of this process: the
    try's channel (`app/channel.py`, one request, its reply, end of file) and its output read line by line
    (`ForkExecutor._pump_logs`). No app has run a try when it is forked: this is asyncio's stream code and the
    channel's running for the first time, in every app at its first try otherwise."""
    from riir_airflow.app.channel import encode, read_message, write_message

    ours, theirs = socket.socketpair()
    read_fd, write_fd = os.pipe()
    loop = asyncio.get_running_loop()
    output = asyncio.StreamReader(limit=1 << 20)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(output), os.fdopen(read_fd, "rb", buffering=0)
    )
    reader, writer = await asyncio.open_connection(sock=ours)
    try:
        theirs.sendall(encode({"op": "GetXCom", "key": "return_value"}))
        os.write(write_fd, b"a line of the try's output\n")
        os.close(write_fd)
        while await asyncio.wait_for(output.readline(), 5):
            pass
        if await read_message(reader) is None:
            raise RuntimeError("the zygote's sample channel message was lost")
        await write_message(writer, {"value": None, "error": None})
        theirs.recv(1 << 16)
        theirs.close()
        await read_message(reader)  # end of file: the try closed its channel
    finally:
        theirs.close()  # already closed on the way through; not when a step above failed
        transport.close()
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


@dataclass(frozen=True)
class _Line:
    """The zygote's end of an app's line, and the environment that app was forked with (its templates get it)."""

    sock: socket.socket
    env: dict[str, str]


class _OwnDescriptors:
    """The zygote's own descriptors: its control socket, its wake-up pipe, the apps' lines by descriptor number. A
    child of the zygote closes them all first thing (an app keeps only its own end of its own line): no app can read
    another's requests, and no template or probe can ask for anything."""

    def __init__(self, control: socket.socket, wakeup: tuple[int, int]) -> None:
        self.control = control
        self.wakeup = wakeup
        self.lines: dict[int, _Line] = {}

    def close_in_child(self) -> None:
        self.control.close()
        for fd in self.wakeup:
            os.close(fd)
        for line in self.lines.values():
            line.sock.close()


def serve(control: socket.socket) -> int:
    """Forks on request and reports exits until the supervisor closes the control socket."""
    poller, reaped_r, reaped_w = poll_control_and_child_exits(control)
    own = _OwnDescriptors(control, (reaped_r, reaped_w))
    templates: set[int] = set()  # asked for by apps, which watch them (pidfd): the supervisor never hears of them
    send_message(control, {"op": "ready"})
    while True:
        for fd, _ in poller.poll():
            if fd == reaped_r:
                drain_wakeups(reaped_r)
            elif fd == control.fileno():
                message, fds = receive_message(control)
                if message is None:
                    return 0  # the supervisor is done (or gone)
                try:
                    line = _fork_one(own, message, fds)
                finally:
                    for received in fds:
                        os.close(received)
                if line is not None:
                    own.lines[line.sock.fileno()] = line
                    poller.register(line.sock, select.POLLIN)
            elif fd in own.lines:
                pid = _on_line(own, fd)
                if fd not in own.lines:
                    poller.unregister(fd)
                if pid is not None:
                    templates.add(pid)
        _report_exits(control, templates)


def _fork_one(own: _OwnDescriptors, message: dict[str, Any], fds: list[int]) -> _Line | None:
    """A request of the supervisor; for an app, its line (the zygote's end) and its environment."""
    control = own.control
    op, request = message.get("op"), message.get("id")
    wanted = {"app": 2, "probe": 1}.get(str(op))
    if wanted is None or len(fds) != wanted or not isinstance(message.get("env"), dict):
        send_message(control, {"op": "forked", "id": request, "error": f"bad request {message!r}"[:2000]})
        return None
    env: dict[str, str] = message["env"]
    zygote_end, app_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) if op == "app" else (None, None)
    zygote = os.getpid()
    _flush()  # nothing of the zygote's own output may be written again by the child
    try:
        pid = os.fork()
    except OSError as exc:
        for end in (zygote_end, app_end):
            if end is not None:
                end.close()
        send_message(control, {"op": "forked", "id": request, "error": str(exc)})
        return None
    if pid == 0:

        def run() -> int:
            own.close_in_child()
            if zygote_end is not None:
                zygote_end.close()
            _leave_zygote(zygote, env)
            if app_end is not None:
                return _run_app(message["argv"], fds[0], fds[1], app_end.detach())
            return _run_probe(message["path"], fds[0])

        _run_child(run)
    send_message(control, {"op": "forked", "id": request, "pid": pid})
    if zygote_end is None or app_end is None:
        return None
    app_end.close()
    zygote_end.setblocking(False)  # a reply to an app that does not read must not stall the zygote
    return _Line(zygote_end, env)


def _on_line(own: _OwnDescriptors, fd: int) -> int | None:
    """A request of an app on its line: the pid of the template forked for it, if one was. End of file (the app
    exited): the line is closed and forgotten."""
    line = own.lines[fd]
    try:
        message, fds = receive_message(line.sock)
    except BlockingIOError:
        return None
    except ValueError as exc:  # not JSON: whatever the app sent (its DAG file's code runs there too)
        message, fds = {"unreadable": str(exc)}, []
    except OSError:
        message, fds = None, []  # a broken line: dropped as if closed (the poller would report it again and again)
    if not isinstance(message, dict | None):
        message = {"unreadable": message}
    if message is None:
        del own.lines[fd]
        line.sock.close()
        for received in fds:
            os.close(received)
        return None
    try:
        return _fork_template(own, line, message, fds)
    finally:
        for received in fds:
            os.close(received)


def _fork_template(own: _OwnDescriptors, line: _Line, message: dict[str, Any], fds: list[int]) -> int | None:
    """{"op": "template", "path": P} with [the app's output]: a fork server of P (`fork_server.serve`), forked from
    here with the app's environment, PID 1 of its tasks' PID namespace as an app's own template is; the reply
    carries its control socket and a pidfd of it."""
    path = message.get("path")
    if message.get("op") != "template" or not isinstance(path, str) or len(fds) != 1:
        _reply(line, {"op": "template", "error": f"bad request {message!r}"[:2000]})
        return None
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    zygote = os.getpid()
    _flush()
    error = ""
    with children_in_new_namespace():  # the child is PID 1 of a new namespace (the zygote stays in its own)
        try:
            pid = os.fork()
        except OSError as exc:
            pid, error = -1, str(exc)
        if pid == 0:

            def run() -> int:
                own.close_in_child()
                ours.close()
                _leave_zygote(zygote, line.env)
                _take_output(fds[0])
                set_process_name(FORK_SERVER_PROCESS_NAME)
                return serve_fork_server(theirs, path)

            _run_child(run)
    theirs.close()
    try:
        if pid < 0:
            _reply(line, {"op": "template", "error": error})
            return None
        try:
            pidfd = os.pidfd_open(pid)  # now, before it can be reaped: a pidfd names this process, not its number
        except OSError as exc:
            os.kill(pid, signal.SIGKILL)  # our child, not reaped yet: the number is its own
            _reply(line, {"op": "template", "error": f"pidfd_open: {exc}"})
            return pid
        try:
            _reply(line, {"op": "template", "pid": pid}, [ours.fileno(), pidfd])
        finally:
            os.close(pidfd)
        return pid
    finally:
        ours.close()  # once sent (or not: the template reads end of file and exits)


def _reply(line: _Line, message: dict[str, Any], fds: list[int] | None = None) -> None:
    """A reply on an app's line; lost if the app is gone or does not read its line (it gets no template)."""
    with contextlib.suppress(OSError):
        send_message(line.sock, message, fds)


def _run_child(run: Callable[[], int]) -> NoReturn:
    """In a child the zygote just forked: `run`, then exit with its code (its traceback on the output if it raised);
    never back into the zygote's loop."""
    code = 1
    try:
        code = run()
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        _flush()
        os._exit(code)


def _flush() -> None:
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()


def _leave_zygote(zygote: int, env: Mapping[str, str]) -> None:
    """In a forked child, first: a session of its own (the supervisor signals its group), SIGTERM when the zygote
    dies, default signal handling, and the environment the supervisor sent (which never holds a secret)."""
    signal.set_wakeup_fd(-1)
    for number in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)
    os.setsid()
    die_with_parent()
    if _parent_pid() != zygote:
        os._exit(1)  # the zygote died before the parent-death signal was set
    os.environ.clear()
    os.environ.update({name: value for name, value in env.items() if not is_secret_variable(name)})
    os.environ[FORKED_ENV] = "1"


def _parent_pid() -> int:
    """This process's parent. os.getppid() is 0 in the init of a new PID namespace (a template: the zygote is
    outside it); /proc, the machine's (not remounted), still names it."""
    parent = os.getppid()
    if parent:
        return parent
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("PPid:"):
                return int(line.split()[1])
    return 0


def _take_output(output: int) -> None:
    """stdin from /dev/null; stdout and stderr (line-buffered) to `output`, which is closed."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]


def _run_app(argv: Sequence[str], output: int, secrets: int, line: int) -> int:
    """`riir-airflow app ...` in this process; its exit code."""
    _take_output(output)
    os.environ[SECRET_ENV_FD] = str(secrets)
    os.environ[ZYGOTE_LINE_FD] = str(line)
    set_process_name(APP_PROCESS_NAME)
    sys.argv = ["riir-airflow", *argv]
    from riir_airflow.cli.main import main

    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    atexit._run_exitfuncs()  # what a normal interpreter exit runs (logging's flush, the app's own handlers)
    return int(code)


def _run_probe(path: str, control: int) -> int:
    """A fork server of `path` (which reports the file's DAG ids) until the supervisor closes the socket."""
    return serve_fork_server(socket.socket(fileno=control), path)


def _report_exits(control: socket.socket, templates: set[int]) -> None:
    """Reaps what exited; reports to the supervisor what it asked for (not the apps' templates)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in templates:
            templates.discard(pid)
            continue
        send_message(control, {"op": "exited", "pid": pid, "code": os.waitstatus_to_exitcode(status)})


def main() -> int:
    control = socket.socket(fileno=int(os.environ.pop(CONTROL_FD_ENV)))
    os.set_inheritable(control.fileno(), False)
    set_process_name(PROCESS_NAME)
    try:
        preload()
    except BaseException as exc:
        send_message(control, {"op": "failed", "error": f"{type(exc).__name__}: {exc}"[:60_000]})
        raise
    return serve(control)


# --- the supervisor's side -----------------------------------------------------------------------------------------
def zygote_environment(environ: Mapping[str, str]) -> tuple[dict[str, str], Path]:
    """The zygote's own environment (no secret variable, the secret-free config copy) and that copy's folder."""
    env, _ = split_secret_environment(environ)
    folder = Path(env[SANITIZED_FOLDER_ENV])
    return env, folder


class ZygoteProcess:
    """An app forked by the zygote, as the supervisor sees it: the part of asyncio.subprocess.Process it uses."""

    def __init__(self, pid: int, stdout: asyncio.StreamReader, exited: asyncio.Future[int]) -> None:
        self.pid = pid
        self.stdout = stdout
        self._exited = exited

    @property
    def returncode(self) -> int | None:
        return self._exited.result() if self._exited.done() and not self._exited.cancelled() else None

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    def send_signal(self, number: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, number)


class Zygote:
    """The supervisor's handle on its zygote: started on first use, asked for apps and probes, told their exits.
    A zygote that dies takes its apps with it (they are killed and reported as such); the next request starts a
    new one."""

    def __init__(self, environ: Mapping[str, str], on_line: Callable[[str], None]) -> None:
        self.environ = dict(environ)
        self.on_line = on_line  # the zygote's own output (a probe's DAG file prints there too)
        self.process: asyncio.subprocess.Process | None = None
        self.pid: int | None = None
        self.sock: socket.socket | None = None
        self.folder: Path | None = None
        self._starting = asyncio.Lock()
        self._sending = asyncio.Lock()  # one request at a time waits for room in the control socket
        self._room: asyncio.Future[None] | None = None  # set when the control socket can take a request again
        self._next_id = 0
        self.zygote_env: dict[str, str] = {}  # the zygote's environment (what a probe runs with)
        self._forking: dict[int, asyncio.Future[tuple[int, asyncio.Future[int]]]] = {}  # id -> (pid, its exit)
        self._exits: dict[int, asyncio.Future[int]] = {}  # pid -> its exit code, for what is alive
        self._cleanups: dict[int, Callable[[], None]] = {}  # pid -> what goes when it exits
        self._ready: asyncio.Future[None] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None

    # --- life ------------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Starts the zygote unless it runs; returns once it has imported everything (ZygoteError if it could not)."""
        async with self._starting:
            if self.sock is not None:
                return
            loop = asyncio.get_running_loop()
            env, self.folder = zygote_environment(self.environ)
            self.zygote_env = dict(env)
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            env[CONTROL_FD_ENV] = str(theirs.fileno())
            try:
                self.process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "riir_airflow.cli.zygote", env=env, pass_fds=(theirs.fileno(),),
                    stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                    start_new_session=True, preexec_fn=die_with_parent,
                )  # fmt: skip
            finally:
                theirs.close()
            self.pid = self.process.pid
            ours.setblocking(False)
            self.sock = ours
            self._ready = loop.create_future()
            self._pump = loop.create_task(self._copy_output(self.process))
            loop.add_reader(ours.fileno(), self._on_readable)
            try:
                await asyncio.wait_for(asyncio.shield(self._ready), READY_TIMEOUT)
            except BaseException:
                await self._closed("the zygote did not start")
                raise

    async def _copy_output(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            self.on_line(line.decode(errors="backslashreplace").rstrip("\n"))

    def _on_readable(self) -> None:
        if self.sock is None:
            return
        for message in pending_messages(self.sock):
            if message is None:
                self._closing = asyncio.get_running_loop().create_task(self._closed("the zygote exited"))
                return
            self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "ready" and self._ready is not None and not self._ready.done():
            self._ready.set_result(None)
        elif op == "failed" and self._ready is not None and not self._ready.done():
            self._ready.set_exception(ZygoteError(f"the zygote could not start: {message.get('error')}"))
        elif op == "forked":
            future = self._forking.pop(int(message.get("id") or 0), None)
            if future is not None and not future.done():
                if "error" in message:
                    future.set_exception(ZygoteError(f"the zygote could not fork: {message['error']}"))
                else:
                    pid = int(message["pid"])
                    self._exits[pid] = asyncio.get_running_loop().create_future()
                    future.set_result((pid, self._exits[pid]))
        elif op == "exited":
            pid = int(message["pid"])
            exited = self._exits.pop(pid, None)
            if exited is not None and not exited.done():
                exited.set_result(int(message["code"]))
            self._forget(pid)

    def _forget(self, pid: int) -> None:
        cleanup = self._cleanups.pop(pid, None)
        if cleanup is not None:
            cleanup()

    async def _closed(self, why: str) -> None:
        """The zygote is gone: what it forked is killed (nobody would report its exit) and reported as killed."""
        sock, self.sock = self.sock, None
        if sock is None:
            return
        loop = asyncio.get_running_loop()
        with contextlib.suppress(Exception):
            loop.remove_reader(sock.fileno())
            loop.remove_writer(sock.fileno())
        sock.close()
        error = ZygoteError(why)
        if self._room is not None and not self._room.done():
            self._room.set_exception(error)
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(error)
        for future in self._forking.values():
            if not future.done():
                future.set_exception(error)
        self._forking.clear()
        for pid, exited in list(self._exits.items()):
            if not exited.done():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                exited.set_result(-signal.SIGKILL)
            self._forget(pid)
        self._exits.clear()
        if self.process is not None:
            if self.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
            await self.process.wait()
        if self._pump is not None:
            await self._pump
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    async def close(self) -> None:
        """Ends the zygote (closing its control socket); call once its apps have stopped."""
        sock = self.sock
        if sock is None:
            return
        asyncio.get_running_loop().remove_reader(sock.fileno())
        sock.shutdown(socket.SHUT_RDWR)  # the zygote reads end of file and exits
        if self.process is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), 10)
        await self._closed("the zygote was stopped")

    # --- requests ----------------------------------------------------------------------------------------------------
    async def _fork(self, message: dict[str, Any], fds: list[int]) -> tuple[int, asyncio.Future[int]]:
        """Sends a fork request; (the pid, a future of its exit code)."""
        await self.start()
        assert self.sock is not None
        self._next_id += 1
        future: asyncio.Future[tuple[int, asyncio.Future[int]]] = asyncio.get_running_loop().create_future()
        self._forking[self._next_id] = future
        request = self._next_id
        try:
            await self._send({**message, "id": request}, fds)
        except BaseException as exc:
            self._forking.pop(request, None)
            if isinstance(exc, OSError):
                raise ZygoteError(f"the zygote is gone ({exc})") from exc
            raise
        return await future

    async def _send(self, message: dict[str, Any], fds: list[int]) -> None:
        """Sends one request, waiting while the control socket's send buffer is full of requests the zygote has not
        read yet: a folder of 200 apps asks for 200 probes at once, more than fit while the zygote is busy forking."""
        async with self._sending:
            while True:
                if self.sock is None:
                    raise ZygoteError("the zygote is gone")
                try:
                    send_message(self.sock, message, fds)
                    return
                except BlockingIOError:
                    await self._wait_for_room(self.sock)

    async def _wait_for_room(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        self._room = room = loop.create_future()

        def writable() -> None:
            if not room.done():
                room.set_result(None)

        loop.add_writer(sock.fileno(), writable)
        try:
            await room  # _closed ends the wait with an error if the zygote dies meanwhile
        finally:
            self._room = None
            if self.sock is sock:
                loop.remove_writer(sock.fileno())

    async def spawn_app(self, argv: Sequence[str], environ: Mapping[str, str]) -> ZygoteProcess:
        """`riir-airflow app ...` forked from the zygote, its output on a pipe, its secrets given when it asks."""
        loop = asyncio.get_running_loop()
        env, secret = split_secret_environment(environ)
        folder = env[SANITIZED_FOLDER_ENV]
        read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            pid, exited = await self._fork({"op": "app", "argv": list(argv), "env": env}, [write_fd, theirs.fileno()])
        except BaseException:
            os.close(read_fd)
            ours.close()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            os.close(write_fd)
            theirs.close()
        ours.setblocking(False)
        handover = loop.create_task(_hand_over_secrets(ours, secret))

        def cleanup() -> None:
            handover.cancel()
            ours.close()
            shutil.rmtree(folder, ignore_errors=True)  # the app removes its config copy too, unless it was killed

        if exited.done():  # it exited before we got here
            cleanup()
        else:
            self._cleanups[pid] = cleanup
        stdout = asyncio.StreamReader(limit=2**16, loop=loop)
        pipe = open(read_fd, "rb", 0)  # noqa: SIM115  # the transport owns and closes it
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdout, loop=loop), pipe)
        return ZygoteProcess(pid, stdout, exited)

    async def dag_ids(self, path: str, timeout: float = READY_TIMEOUT) -> list[str]:
        """The DAG ids of `path`, read by a fork server forked from the zygote (ForkServerError if it fails)."""
        await self.start()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            message = {"op": "probe", "path": os.path.abspath(path), "env": self.zygote_env}
            pid, _ = await self._fork(message, [theirs.fileno()])
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        server = ForkServer(path, pid, ours, None, None)
        try:
            return await asyncio.get_running_loop().run_in_executor(None, server.wait_ready, timeout)
        finally:
            ours.close()  # the probe reads end of file and exits; the zygote reaps it


# --- an app's side: its line to the zygote ----------------------------------------------------------------------
REPLY_TIMEOUT = 60.0  # a fork takes milliseconds; the zygote may have a few hundred apps' requests before ours
_line_lock = threading.Lock()  # one request at a time on the line: each reply goes to the request it answers


def request_template(path: str) -> ForkServer | None:
    """In an app forked from the zygote: a new template (fork server) of its DAG file at `path`, forked by the zygote
    — a preloaded process, so only the file's import is left: milliseconds, where an exec'd one (`ForkServer.start`)
    takes ~0.4 s. The app cannot fork one from itself any more: it holds its secrets by then. The template reports
    "ready" (or "failed") on its socket as any other does; its output goes where this process's stdout goes.
    None in a process without a line to the zygote (not forked from it); ForkServerError when the zygote cannot fork
    one or is gone."""
    number = os.environ.get(ZYGOTE_LINE_FD)
    if number is None:
        return None
    with _line_lock:
        try:
            line = socket.socket(fileno=int(number))
        except (OSError, ValueError) as exc:
            raise ForkServerError(f"the line to the zygote ({ZYGOTE_LINE_FD}={number}) is unusable: {exc}") from exc
        try:
            line.settimeout(REPLY_TIMEOUT)
            send_message(line, {"op": "template", "path": os.path.abspath(path)}, [1])
            message, fds = receive_message(line)
        except OSError as exc:  # a timeout included
            raise ForkServerError(f"the zygote did not fork a template of {path}: {exc}") from exc
        finally:
            line.detach()  # the line stays open for the next request
    if message is None or "error" in message or len(fds) != 2:
        for fd in fds:
            os.close(fd)
        why = "the zygote closed the line" if message is None else message.get("error", f"bad reply {message!r}")
        raise ForkServerError(f"the zygote did not fork a template of {path}: {why}")
    control, pidfd = fds
    for fd in fds:
        os.set_inheritable(fd, False)  # descriptors received by SCM_RIGHTS are inheritable: no program gets them
    return ForkServer(path, int(message["pid"]), socket.socket(fileno=control), None, None, pidfd=pidfd)


async def _hand_over_secrets(sock: socket.socket, secret: dict[str, str]) -> None:
    """Answers the app's one request for its secrets (sent once its fork server exists), then closes the socket."""
    loop = asyncio.get_running_loop()
    try:
        if await loop.sock_recv(sock, 1) == b"?":
            await loop.sock_sendall(sock, json.dumps(secret).encode())
    except OSError:
        pass  # the app died before asking
    finally:
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
