"""The fork server: a clean template process from which every task process of an app forks.

`riir-airflow app FILE` re-executes itself (or, under `standalone`, is forked from the zygote: cli/zygote.py) with
its credentials out of the environment (handed over in a pipe or socket, unread) and a copy of the config file
without sensitive options (app/sandbox.py), imports its DAG file, freezes
what it imported out of the garbage collector's reach, and only then forks this template — before it reads any
secret or opens any database connection. The app and the template therefore share the imported DAG, its
dependencies and riir itself copy-on-write (one copy in RAM), and the template, whose memory never held a secret,
keeps them warm for every task process. Only after the fork does the app read its secrets and connect.

For each try the app sends the try's two descriptors (its channel and its log pipe) and the path of its pids cgroup
over the control socket; the template forks, and the new task process first confines itself (descriptors,
environment, cgroup, capabilities: `child.run_forked`), then waits for its assignment (claim, run, limits, identity
token) on its own channel. Nothing of that preparation depends on the try, so the app keeps one such process ready
ahead of time while it has work (`executor.py`, "the spare"): starting a try is then one message on the spare's
channel, and the fork, the cgroup join (10-15 ms of kernel wait on cgroup v1) and the confinement are off the hop.
The template reaps its children and reports each exit code to the app. A task's parent is therefore the template.
Where the kernel allows it (root), the template is PID 1 of a PID namespace its task processes live in
(app/pid_namespace.py): they cannot signal any process outside it, and they end when the template does.

Control messages are JSON, one per SOCK_SEQPACKET packet:
    template -> app   {"op": "ready", "dag_ids": [...]}  |  {"op": "failed", "error": "..."}
    app -> template   {"op": "fork", "id": N, "cgroup": path | null}  with SCM_RIGHTS [channel, log pipe]
    template -> app   {"op": "forked", "id": N, "pid": P}  |  {"op": "forked", "id": N, "error": "..."}
    template -> app   {"op": "exited", "pid": P, "code": C, "cpu": seconds}
"""

from __future__ import annotations

import array
import asyncio
import configparser
import contextlib
import json
import logging
import os
import pickle
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riir_airflow.app.sandbox import ZYGOTE_LINE_FD, is_secret_variable

if TYPE_CHECKING:
    from riir_airflow.app.limits import TaskCgroup, TaskLimits
    from riir_airflow.engine.messages import Claim
    from riir_airflow.engine.records import DagRunRecord

CONTROL_FD_ENV = "RIIR_FORK_SERVER_FD"
_PACKET = 1 << 16
_START_HEADER = struct.Struct("!I")


@dataclass(frozen=True)
class TaskStart:
    """A task process's assignment, the first thing the app writes on its channel: a try (`claim`), the DAG-level
    callbacks of a finished run (`claim` None), or a missed deadline's callback (`deadline`: the callback and its
    context). Pickled: it travels from the app to its task, never the other way (what a task sends is JSON,
    `engine/messages.py`)."""

    run: DagRunRecord | None
    claim: Claim | None = None
    token: str | None = None
    limits: TaskLimits | None = None
    reason: str | None = None  # DAG callbacks: why the run ended, as Airflow says it (success, task_failure, ...)
    deadline: tuple[Any, dict[str, Any]] | None = None


def send_start(sock: socket.socket, start: TaskStart) -> None:
    body = pickle.dumps(start, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_START_HEADER.pack(len(body)) + body)


def receive_start(sock: socket.socket) -> TaskStart:
    def exactly(size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("the DAG app closed the task channel before sending the assignment")
            data.extend(chunk)
        return bytes(data)

    (size,) = _START_HEADER.unpack(exactly(_START_HEADER.size))
    start = pickle.loads(exactly(size))
    if not isinstance(start, TaskStart):
        raise TypeError(f"expected a TaskStart, got {type(start).__name__}")
    return start


class ForkServerError(RuntimeError):
    """The template could not load the DAG file, died, or could not fork."""


def send_message(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    if fds:
        sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    else:
        sock.send(data)


def receive_message(sock: socket.socket, flags: int = 0) -> tuple[dict[str, Any] | None, list[int]]:
    """One message and the descriptors that came with it; (None, []) when the other end closed."""
    fds = array.array("i")
    try:
        data, ancillary, _, _ = sock.recvmsg(_PACKET, socket.CMSG_SPACE(2 * fds.itemsize), flags)
    except ConnectionResetError:  # the other end closed with messages of ours unread
        return None, []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
    if not data:
        return None, list(fds)
    try:
        return json.loads(data), list(fds)
    except ValueError:
        for fd in fds:  # nobody else would close them
            os.close(fd)
        raise


def pending_messages(sock: socket.socket) -> Iterator[dict[str, Any] | None]:
    """The messages waiting on `sock`, read without blocking (descriptors that came with them are closed: the
    readers of reports expect none); None, last, when the other end closed."""
    while True:
        try:
            message, fds = receive_message(sock, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        except OSError:
            message, fds = None, []
        for fd in fds:
            os.close(fd)
        yield message
        if message is None:
            return


def poll_control_and_child_exits(control: socket.socket) -> tuple[Any, int, int]:
    """For a process that forks on request (the template, the zygote): a poller over its control socket and a
    descriptor that becomes readable when a child exits (SIGCHLD through the signal wakeup descriptor); Ctrl-C at
    the terminal is left to the supervisor. Returns (poller, that descriptor, its write end): drain the first with
    `drain_wakeups`; a forked child closes both."""
    import select

    reaped_r, reaped_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(reaped_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that the wakeup descriptor is written
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    poller = select.poll()
    poller.register(control.fileno(), select.POLLIN)
    poller.register(reaped_r, select.POLLIN)
    return poller, reaped_r, reaped_w


def drain_wakeups(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        os.read(fd, 4096)


def sanitized_config(folder: Path) -> Path | None:
    """A copy of the config file without any option that is or yields a secret (sensitive options, `_cmd` and
    `_secret` indirections, anything named like a password or key), for the template and its tasks; None when
    there is no config file."""
    from riir_airflow.config import conf

    source = conf.config_file
    if not source.is_file():
        return None
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(source, encoding="utf-8")
    for section in parser.sections():
        for key in list(parser[section]):
            lowered = key.lower()
            if (
                conf.is_sensitive(section, lowered)
                or lowered.endswith(("_cmd", "_secret"))
                or any(word in lowered for word in ("password", "secret", "fernet", "sql_alchemy_conn", "token"))
            ):
                del parser[section][key]
    target = folder / "airflow.cfg"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        parser.write(handle)
    return target


def sanitized_config_folder() -> tuple[Path, Path]:
    """A private folder with the secret-free config copy (an absent file when there is no config file, so that
    nothing falls back to $AIRFLOW_HOME/airflow.cfg); (folder, config path)."""
    folder = Path(tempfile.mkdtemp(prefix="riir-fork-server-"))
    folder.chmod(0o755)  # nothing secret inside: tasks running as another user (run_as_user) read it too
    return folder, sanitized_config(folder) or folder / "absent.cfg"


PROCESS_NAME = b"riir-fork-srv"  # what `ps -o comm` and /proc/PID/comm show for a template (15 bytes at most)


class ForkServer:
    """The app's handle on its template process: `proc` when it was exec'd, else its pid from the fork — the app's
    own fork, or the zygote's (cli/zygote.py `request_template`): that template is not the app's child, so the app
    watches it through `pidfd` (which names that process, whatever reuses its pid later)."""

    def __init__(
        self,
        path: str,
        pid: int,
        sock: socket.socket,
        folder: Path | None,
        proc: subprocess.Popen[bytes] | None,
        *,
        pidfd: int | None = None,
    ) -> None:
        self.path = path
        self.pid = pid
        self.proc = proc
        self.pidfd = pidfd
        self.returncode: int | None = None
        self.sock = sock
        self.folder = folder
        self.dag_ids: list[str] | None = None  # once it has loaded the file
        self.error: str | None = None  # or why it could not
        self._next_id = 0
        self._exits: dict[int, int] = {}  # pid -> exit code, reported before anyone waited for it
        self._waiters: dict[int, asyncio.Future[int]] = {}
        self._forking: dict[int, asyncio.Future[int]] = {}  # request id -> pid, for `fork_ahead`
        self._until_ready: list[asyncio.Future[None]] = []  # `ready()` callers, told when it has loaded (or not)
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def start(cls, path: str) -> ForkServer:
        """Execs the template for the DAG file at `path`; returns at once (it imports the file meanwhile)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        folder, config = sanitized_config_folder()
        env = {name: value for name, value in os.environ.items() if not is_secret_variable(name)}
        env.pop(ZYGOTE_LINE_FD, None)  # the app's line to the zygote is not the template's (nor passed to it)
        env["AIRFLOW_CONFIG"] = str(config)
        env[CONTROL_FD_ENV] = str(theirs.fileno())
        from riir_airflow import compat

        if compat.is_installed():  # the app imports `airflow...` as riir: so must its template
            env[compat.ENV_VAR] = "1"
        from riir_airflow.app.pid_namespace import children_in_new_namespace

        try:
            with children_in_new_namespace():  # the template is PID 1 of its tasks' namespace (app/pid_namespace.py)
                proc = subprocess.Popen(
                    [sys.executable, "-m", "riir_airflow.app.fork_server", os.path.abspath(path)],
                    env=env, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C on a terminal reaches the app, which ends the template by EOF
                )  # fmt: skip
        finally:
            theirs.close()
        return cls(path, proc.pid, ours, folder, proc)

    @classmethod
    def fork_template(cls, path: str, dags: dict[str, Any], *, warm_app: bool = True) -> ForkServer:
        """Forks the template from this process, which has imported `dags` and read no secret yet (see the module
        docstring); the template is ready at once. `warm_app=False` for an app forked from the zygote (see
        `_warm_up_app`)."""
        from riir_airflow.app.pid_namespace import children_in_new_namespace
        from riir_airflow.app.sandbox import SANITIZED_FOLDER_ENV, forget_secret_environment, forget_zygote_line

        if warm_app:
            _warm_up_app()
        _warm_up(dags)  # in the app, before the fork: both share what it imports and freezes
        _trim_heap()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sys.stdout.flush()
        sys.stderr.flush()
        with children_in_new_namespace():  # the template is PID 1 of its tasks' namespace (app/pid_namespace.py)
            pid = os.fork()
            if pid == 0:  # the template (it never leaves this block)
                code = 1
                try:
                    forget_secret_environment()
                    forget_zygote_line()
                    ours.close()
                    os.setsid()  # Ctrl-C on a terminal reaches the app, which ends the template by closing the socket
                    code = _serve_loop(theirs, dags)
                except BaseException:
                    import traceback

                    traceback.print_exc()
                finally:
                    os._exit(code)
        theirs.close()
        folder = os.environ.get(SANITIZED_FOLDER_ENV)
        server = cls(path, pid, ours, Path(folder) if folder else None, None)
        server.dag_ids = sorted(dags)
        return server

    # --- blocking calls (start-up and the hop; each is one short exchange) ---------------------------------------
    def wait_ready(self, timeout: float | None = None) -> list[str]:
        """Blocks until the template has imported the DAG file; its DAG ids, or ForkServerError with its error."""
        while self.dag_ids is None and self.error is None:
            self.sock.settimeout(timeout)
            try:
                self._handle(self._next_message())
            except TimeoutError:
                raise ForkServerError(f"the fork server did not load {self.path} within {timeout:g}s") from None
            finally:
                self.sock.settimeout(None)
        if self.error is not None:
            raise ForkServerError(self.error)
        assert self.dag_ids is not None
        return self.dag_ids

    async def ready(self, timeout: float | None = None) -> list[str]:
        """`wait_ready` on the event loop (`attach` first): the app keeps serving while a new template imports."""
        if self.dag_ids is None and self.error is None:
            if self._loop is None:
                raise ForkServerError("the fork server is not attached to an event loop")
            waiter: asyncio.Future[None] = self._loop.create_future()
            self._until_ready.append(waiter)
            try:
                await asyncio.wait_for(waiter, timeout)
            except TimeoutError:
                raise ForkServerError(f"the fork server did not load {self.path} within {timeout:g}s") from None
            finally:
                if waiter in self._until_ready:
                    self._until_ready.remove(waiter)
        return self.wait_ready()

    def _tell_ready(self) -> None:
        for waiter in self._until_ready:
            if not waiter.done():
                waiter.set_result(None)
        self._until_ready.clear()

    def _handle(self, message: dict[str, Any]) -> None:
        if message.get("op") == "ready":
            self.dag_ids = list(message["dag_ids"])
            self._tell_ready()
        elif message.get("op") == "failed":
            self.error = f"the fork server could not load {self.path}: {message.get('error')}"
            logging.getLogger("riir_airflow.app").error("%s; its tries fail until it loads again", self.error)
            self._tell_ready()
        elif message.get("op") == "forked":
            future = self._forking.pop(int(message.get("id", 0)), None)
            if future is not None and not future.done():
                if "error" in message:
                    future.set_exception(ForkServerError(f"the fork server could not fork: {message['error']}"))
                else:
                    future.set_result(int(message["pid"]))

    def fork(self, dag_id: str, channel_fd: int, log_fd: int, cgroup: TaskCgroup | None = None) -> int:
        """Asks the template for a task process of `dag_id` holding these two descriptors (and joining `cgroup`);
        blocks for its pid."""
        self.wait_ready()
        if dag_id not in (self.dag_ids or ()):
            raise ForkServerError(f"the fork server's copy of {self.path} has no DAG {dag_id!r} (file changed?)")
        request = self._request(channel_fd, log_fd, cgroup)
        try:
            while True:
                message = self._next_message()
                if message.get("op") == "forked" and message.get("id") == request:
                    if "error" in message:
                        raise ForkServerError(f"the fork server could not fork: {message['error']}")
                    return int(message["pid"])
                self._handle(message)  # e.g. the reply to a `fork_ahead` request
        except OSError as exc:
            raise ForkServerError(f"the fork server is gone ({exc})") from exc

    def fork_ahead(self, channel_fd: int, log_fd: int, cgroup: TaskCgroup | None = None) -> asyncio.Future[int]:
        """The same request without waiting: the pid arrives on the event loop (`attach`). For a task process made
        before its try is known; it serves whichever DAG of the file its assignment names."""
        if self._loop is None or self.dag_ids is None:
            raise ForkServerError("the fork server is not attached to an event loop or not ready")
        future: asyncio.Future[int] = self._loop.create_future()
        self._forking[self._request(channel_fd, log_fd, cgroup)] = future
        return future

    def _request(self, channel_fd: int, log_fd: int, cgroup: TaskCgroup | None) -> int:
        self._next_id += 1
        message = {"op": "fork", "id": self._next_id, "cgroup": None if cgroup is None else str(cgroup.path)}
        try:
            send_message(self.sock, message, [channel_fd, log_fd])
        except OSError as exc:
            raise ForkServerError(f"the fork server is gone ({exc})") from exc
        return self._next_id

    def _next_message(self) -> dict[str, Any]:
        """The next message that is not an exit report (those are recorded on the way)."""
        while True:
            message, fds = receive_message(self.sock)
            for fd in fds:
                os.close(fd)
            if message is None:
                raise ForkServerError(f"the fork server of {self.path} exited (code {self._poll()})")
            if message.get("op") == "exited":
                self._record_exit(int(message["pid"]), int(message["code"]))
                continue
            return message

    # --- exit reports, on the event loop ---------------------------------------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Exit reports arriving while the app waits are read by the loop."""
        self._loop = loop
        loop.add_reader(self.sock.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        for message in pending_messages(self.sock):
            if message is None:  # the template died: nobody reports these tries' ends any more
                if self._loop is not None:
                    self._loop.remove_reader(self.sock.fileno())
                for future in [*self._waiters.values(), *self._forking.values()]:
                    if not future.done():
                        future.set_exception(ForkServerError(f"the fork server of {self.path} exited"))
                self._forking.clear()
                if self.dag_ids is None and self.error is None:
                    self.error = f"the fork server of {self.path} exited before it loaded the file"
                self._tell_ready()
                return
            if message.get("op") == "exited":
                self._record_exit(int(message["pid"]), int(message["code"]))
            else:
                self._handle(message)

    def _record_exit(self, pid: int, code: int) -> None:
        future = self._waiters.pop(pid, None)
        if future is not None and not future.done():
            future.set_result(code)
        else:
            self._exits[pid] = code

    async def exit_code(self, pid: int) -> int:
        """The exit code of a task process this template forked (negative: killed by that signal)."""
        if pid in self._exits:
            return self._exits.pop(pid)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiters[pid] = future
        return int(await future)

    def alive(self) -> bool:
        return self._poll() is None

    def _poll(self) -> int | None:
        if self.proc is not None:
            self.returncode = self.proc.poll()
        elif self.pidfd is not None:
            if self.returncode is None and _pidfd_exited(self.pidfd, 0):
                self.returncode = -1  # not our child: its exit code is the zygote's to read
        elif self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def close(self) -> None:
        """Ends the template, and with it the task processes still running in its PID namespace (where it has one:
        app/pid_namespace.py; elsewhere they live on until the app kills them)."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self.sock.fileno())
        self.sock.close()  # the template's end of file: it exits
        if self.pidfd is not None:
            self._close_by_pidfd(self.pidfd)
        else:
            deadline = time.monotonic() + 5
            while self._poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            if self._poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                while self._poll() is None:
                    time.sleep(0.01)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _close_by_pidfd(self, pidfd: int) -> None:
        """`close` of a template the zygote forked (not our child: its parent reaps it)."""
        if not _pidfd_exited(pidfd, 5):
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            _pidfd_exited(pidfd, None)
        self.returncode = -1 if self.returncode is None else self.returncode
        self.pidfd = None
        os.close(pidfd)


def _pidfd_exited(pidfd: int, timeout: float | None) -> bool:
    """Whether the process of `pidfd` has exited, waiting up to `timeout` seconds (None: until it does); a pidfd
    becomes readable when its process exits."""
    import select

    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(None if timeout is None else int(timeout * 1000)))


# --- the template process ----------------------------------------------------------------------------------------
def _load(path: str) -> dict[str, Any]:
    """The DAG file's DAGs, imported as the app imports them (same bounds, same test-deploy renaming)."""
    from riir_airflow.app.environment import apply_environment, configured_environment
    from riir_airflow.app.import_guard import guarded_import
    from riir_airflow.dag_processing.loader import DagBag

    with guarded_import(path):
        bag = DagBag(path)
    if bag.import_errors:
        raise RuntimeError("\n".join(f"{file}:\n{error}" for file, error in bag.import_errors.items()))
    if not bag.dags:
        raise RuntimeError(f"{path}: no DAG found")
    return apply_environment(bag.dags, configured_environment())


def _warm_up(dags: dict[str, Any]) -> None:
    """Pays once, here, what every forked try would otherwise pay again (tens of ms per try): the imports a try makes
    lazily (a template environment pulls in jinja2.ext, the task runner its modules, asset events the manifests),
    the listener manager (pluggy parses every hook spec), the slot names `copy.copy` caches per operator class when a
    try copies its task, and garbage-collector passes over the long-lived objects — `gc.freeze()` moves them out of
    the collector's reach, so a child's collections neither scan them nor copy their pages (copy-on-write)."""
    import copy
    import gc

    import riir_airflow.app.child
    import riir_airflow.runtime.manifests  # noqa: F401
    from riir_airflow.authoring.templating import template_env_for
    from riir_airflow.plugins.listeners import get_listener_manager
    from riir_airflow.runtime.task_runner import mapping_sources
    from riir_airflow.secrets_masker import secrets_masker

    get_listener_manager()
    secrets_masker()  # built from the config (no secret in it yet): each try would read the config again
    classes: set[type] = set()
    for dag in dags.values():
        # Per-DAG caches a try reads: the DAG's Jinja environment (jinja2 imported with it), which a mapped try
        # always needs for its mapped argument — asked of the DAG: a mapped task has no get_template_env — and which
        # tasks' outputs are expanded over (a walk of every literal a task is mapped over). Only an optimisation: a
        # DAG whose environment fails still runs.
        with contextlib.suppress(Exception):
            template_env_for(dag)
        with contextlib.suppress(Exception):
            mapping_sources(dag)
        for task in dag.tasks:
            if type(task) not in classes:
                classes.add(type(task))
                with contextlib.suppress(Exception):
                    copy.copy(task)
    gc.collect()
    gc.freeze()


def _warm_up_app() -> None:
    """What the app does first after forking its template, done once before: the modules it imports next (its
    confinement check, its runs' priority weights) and an event loop's first run (state asyncio builds lazily).
    Made after the fork, these allocations would land in pages the two share and copy them (about 0.5 MB each).
    Not in an app forked from the zygote, which has those modules already: there the event loop would only copy
    zygote pages into the app before the fork that the app writes again after it (0.4 MB more per app)."""
    import riir_airflow.authoring.priority
    import riir_airflow.metastore.roles  # noqa: F401

    asyncio.run(asyncio.sleep(0))


def serve(control: socket.socket, path: str) -> int:
    """An exec'd template's life: load the DAG file, report, then serve."""
    from riir_airflow.app.sandbox import drop_ptrace_capability, make_undumpable

    # Before the DAG file's top-level code runs here, and inherited by every task: other processes of the user
    # cannot read this one's memory, and this one (even as root) cannot read its app's.
    make_undumpable()
    drop_ptrace_capability()
    try:
        dags = _load(path)
    except BaseException as exc:
        send_message(control, {"op": "failed", "error": f"{type(exc).__name__}: {exc}"[:60_000]})
        return 1
    _warm_up(dags)
    send_message(control, {"op": "ready", "dag_ids": sorted(dags)})
    return _serve_loop(control, dags)


def _serve_loop(control: socket.socket, dags: dict[str, Any]) -> int:
    """Fork on request and report exits until the app closes the control socket."""
    from riir_airflow.app.pid_namespace import is_namespace_init, outside_pid
    from riir_airflow.app.sandbox import drop_ptrace_capability, make_undumpable, mask_secret_files

    make_undumpable()  # inherited by every task: other processes of the user cannot read their memory
    drop_ptrace_capability()  # nor can they (or this process), even as root, read the app's
    try:
        mask_secret_files()  # as root: secret files read as empty in this process and its tasks
    except OSError as exc:
        logging.getLogger("riir_airflow.app").warning("Task processes can read the secret files: %s", exc)
    # PID 1 of the tasks' namespace (app/pid_namespace.py): its children's numbers are not the app's
    as_the_app_sees = outside_pid if is_namespace_init() else int
    children: dict[int, int] = {}  # task processes: our number -> the app's; the rest we reap are orphans
    set_process_name(PROCESS_NAME)
    poller, reaped_r, reaped_w = poll_control_and_child_exits(control)
    while True:
        for fd, _ in poller.poll():
            if fd == reaped_r:
                drain_wakeups(reaped_r)
                _report_exits(control, children)
                continue
            message, fds = receive_message(control)
            if message is None:
                return 0  # the app is gone or done
            cgroup = message.get("cgroup")
            if message.get("op") != "fork" or len(fds) != 2 or not isinstance(cgroup, str | None):
                for received in fds:
                    os.close(received)
                send_message(control, {"op": "forked", "id": message.get("id"), "error": f"bad request {message!r}"})
                continue
            try:
                pid = os.fork()
            except OSError as exc:
                send_message(control, {"op": "forked", "id": message["id"], "error": str(exc)})
                for received in fds:
                    os.close(received)
                continue
            if pid == 0:
                from riir_airflow.app.child import run_forked

                control.close()
                os.close(reaped_r)
                os.close(reaped_w)
                run_forked(dags, fds[0], fds[1], cgroup)
            # Its own process group from the start (it sets it too): the app signals the group, and a process
            # killed before it got that far must not be missed.
            with contextlib.suppress(OSError):
                os.setpgid(pid, pid)
            for received in fds:
                os.close(received)
            try:
                children[pid] = as_the_app_sees(pid)
            except OSError as exc:  # no pidfd (children_in_new_namespace checks for one): never an unknown pid
                os.kill(pid, signal.SIGKILL)
                send_message(control, {"op": "forked", "id": message["id"], "error": f"the task's pid: {exc}"})
                continue
            send_message(control, {"op": "forked", "id": message["id"], "pid": children[pid]})
        _report_exits(control, children)


def _trim_heap() -> None:
    """Hands the heap's free pages back to the kernel before the fork: a free page both processes map would be
    copied as soon as either allocates in it (malloc_trim; glibc only)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def set_process_name(name: bytes) -> None:
    """/proc/PID/comm of this process (and, until they exec, its children): what tells a template (or the zygote
    and its apps, cli/zygote.py) apart in `ps`. 15 bytes at most; nothing where prctl is unavailable."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name), 0, 0, 0)  # PR_SET_NAME


def _report_exits(control: socket.socket, children: dict[int, int]) -> None:
    """Reports the exits of task processes (`children`: our number -> the app's); orphans of tasks reparented to
    this process (the init of their namespace) are reaped without a report."""
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid not in children:
            continue
        cpu = round(usage.ru_utime + usage.ru_stime, 6)  # the task process's CPU seconds (benchmarks read it)
        code = os.waitstatus_to_exitcode(status)
        send_message(control, {"op": "exited", "pid": children.pop(pid), "code": code, "cpu": cpu})


def main() -> int:
    from riir_airflow.compat import install_from_env

    install_from_env()
    control = socket.socket(fileno=int(os.environ.pop(CONTROL_FD_ENV)))
    os.set_inheritable(control.fileno(), False)
    return serve(control, sys.argv[1])


if __name__ == "__main__":
    sys.exit(main())
