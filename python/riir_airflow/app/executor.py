"""Runs each task try in its own process, forked by the app's fork server (app/fork_server.py: a template process
that imported the DAG file and never held a credential).

While it has tries running, the app keeps one *spare*: a task process forked ahead of time into a fresh pids cgroup,
already confined (app/child.py) and waiting on its channel. Starting a try hands it the assignment — one message —
and asks the fork server for the next spare in the background, so the fork, the cgroup join and the confinement
are off the hop; without a fitting spare (the first try after a quiet spell, a second try in the same turn) the
try's process is forked on request, as every one was before. A spare nobody took is retired
`SPARE_LINGER_SECONDS` after the last running try ended (`[riir] task_spare_process = False`: none at all).

The fork server itself is kept only while the app has work: `[riir] fork_server_idle_seconds` (10) after the last
try, callback and spare ended, the app closes it — an idle app then holds no second copy of the pages it wrote
since their fork (about 10 MB of PSS per app) — unless a scheduled run is due soon (`keep_for_due_within`). The
next try, or a scheduled run `TEMPLATE_LEAD_SECONDS` ahead, makes a new one (`new_template`: a fork of standalone's
zygote, milliseconds; or a fresh interpreter, ~0.4 s), which imports the DAG file again as it is on disk, as an
Airflow worker does for each task.

The app serves the child's requests (XComs, variables, connections) from the metastore, streams the child's
output into `task_log` while it runs, and turns the child's result — or its death — into the try's outcome.
A child that outlives its execution_timeout is killed with its whole process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pendulum

from riir_airflow.app.channel import read_message, write_message
from riir_airflow.app.fork_server import ForkServer, ForkServerError, TaskStart, send_start
from riir_airflow.app.limits import TaskCgroup, TaskLimits, configured_limits, limits_for
from riir_airflow.config import conf
from riir_airflow.engine.messages import (
    AssetStateOp,
    Claim,
    CountExternal,
    DeleteVariable,
    GetAssetEvents,
    GetConnection,
    GetDagRunState,
    GetInactiveAssets,
    GetVariable,
    Reply,
    ReportResult,
    Request,
    SetVariable,
    TaskStateOp,
    TriggerDagRun,
    TryResult,
    UpsertHITLDetail,
    XComCount,
    XComGetAll,
    XComGetOne,
    from_wire,
)
from riir_airflow.engine.records import DagRunRecord
from riir_airflow.metastore import (
    app_queries,
    asset_event_queries,
    cross_run_queries,
    hitl_queries,
    queries,
    task_state_queries,
)
from riir_airflow.metastore import secrets as store_secrets
from riir_airflow.metastore.records import TaskInstanceKey
from riir_airflow.secrets_masker import mask_secret, secrets_masker

log = logging.getLogger("riir_airflow.app.executor")
LOG_FLUSH_SECONDS = 0.2
LOG_FLUSH_LINES = 200
SPARE_LINGER_SECONDS = 2.0  # longer than a hop; an idle app goes back to its fork server alone soon after
TEMPLATE_LEAD_SECONDS = 5.0  # a closed fork server is made again this long before a scheduled run is due: 200
# apps due in the same minute make 200 (~15 ms of CPU each, the zygote forking them one by one): ~3 s on 2 cores
TEMPLATE_READY_SECONDS = 300.0  # as long as a fork server may take to import the DAG file (start-up's bound)


@dataclass
class ProcessOutcome:
    """What came back from a task process: its exit, and its result when it managed to report one. `exit_code` is
    None when the try reported its result and closed its channel and output before its process had exited (the app
    does not wait for that exit; a try without a result is always waited for)."""

    exit_code: int | None
    result: TryResult | None
    pid: int
    log_lines: int = 0
    killed: str | None = None
    # The try's last output lines, not written yet: the result's write takes them (one statement for both).
    log_tail: list[str] = field(default_factory=list)


@dataclass
class TaskProcess:
    """A task process the fork server forked (on request or ahead of time), confined and waiting for its assignment."""

    pid: int
    channel: socket.socket  # the app's end of its channel
    log_fd: int  # the read end of its output
    cgroup: TaskCgroup | None
    made_for: tuple[bool, int | None]  # (pids cgroup wanted, its pids.max): which tries it fits
    server: ForkServer
    exited: asyncio.Future[int]  # its exit code, as the fork server reports it

    def discard(self, remove_cgroup: Callable[[TaskCgroup], object]) -> None:
        """Closes its channel (a process waiting for its assignment leaves at once) and removes its cgroup, with
        anything in it, once it has exited."""
        self.channel.close()
        with contextlib.suppress(OSError):
            os.close(self.log_fd)
        cgroup = self.cgroup

        def cleaned(exited: asyncio.Future[int]) -> None:
            if not exited.cancelled():
                exited.exception()  # retrieved: a fork server that died meanwhile is reported elsewhere
            if cgroup is not None:
                remove_cgroup(cgroup)

        self.exited.add_done_callback(cleaned)


def _fit(limits: TaskLimits) -> tuple[bool, int | None]:
    return limits.pids_cgroup, limits.processes


@dataclass
class RunningTry:
    """A try whose process is alive."""

    key: TaskInstanceKey
    try_number: int
    pid: int
    started: float
    deadline: float | None
    cgroup: TaskCgroup | None = None
    token: str = ""
    done: asyncio.Future[ProcessOutcome] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def connection_as_json(record: Any) -> str:
    """A metastore connection as the JSON form tasks parse (Connection.from_json)."""
    data = {
        "conn_type": record.conn_type,
        "description": record.description,
        "host": record.host,
        "schema": record.schema,
        "login": record.login,
        "password": record.password,
        "port": record.port,
        "extra": record.extra,
    }
    return json.dumps({k: v for k, v in data.items() if v is not None})


class ForkExecutor:
    """Starts task processes and collects their outcomes."""

    def __init__(
        self,
        db: Any,
        fork_server: ForkServer,
        new_template: Callable[[str], ForkServer] = ForkServer.start,
        *,
        keep_for_due_within: float = 0.0,
    ) -> None:
        self.db = db
        self.path = fork_server.path
        self.fork_server: ForkServer | None = fork_server  # None while released (see the module docstring)
        self.new_template = new_template
        self.idle_seconds = conf.getfloat("riir", "fork_server_idle_seconds", fallback=10.0)  # 0: never released
        # A run due within this long keeps the fork server: making one again costs more than keeping it that long.
        self.keep_for_due_within = max(keep_for_due_within, self.idle_seconds)
        self.next_due: float | None = None  # loop time of the next scheduled wake-up (`expect_work_in`)
        self._release_timer: asyncio.TimerHandle | None = None
        self._prestart_timer: asyncio.TimerHandle | None = None
        self.running: dict[tuple[str, str, str, int], RunningTry] = {}
        self._callback_tasks: set[asyncio.Task[None]] = set()
        self.spares = conf.getboolean("riir", "task_spare_process", fallback=True)
        self.limits = configured_limits()
        self._spare: TaskProcess | None = None
        self._spare_coming: asyncio.Future[TaskProcess | None] | None = None
        self._spare_timer: asyncio.TimerHandle | None = None
        self._cgroup_removals: set[asyncio.Future[Any]] = set()  # removals and the sweep, for close()
        self._exiting: dict[asyncio.Future[int], TaskCgroup] = {}  # tries that ended, processes not yet exited
        self._cgroup_ahead: asyncio.Future[TaskCgroup | None] | None = None  # for the next spare (`_make_spare`)
        self._closed = False

    # --- requests from a task process ---------------------------------------------------------------------------
    async def _answer(self, key: TaskInstanceKey, request: Request) -> Any:
        match request:
            case XComGetOne() if request.dag_id or request.run_id or request.include_prior_dates:
                rows = await self._read_xcoms(key, request, request.map_index)
                return {"found": bool(rows), "value": rows[0][1] if rows else None}
            case XComGetAll() if request.dag_id or request.run_id or request.include_prior_dates:
                rows = await self._read_xcoms(key, request, None)
                # Map index order; among equal ones the earliest run first, as Airflow returns them.
                # (rows come latest run first: a higher position is an earlier run)
                ordered = sorted(enumerate(rows), key=lambda item: (item[1][0], -item[0]))
                return [value for _, (_, value) in ordered] if rows else None
            case XComGetOne():
                other = TaskInstanceKey(key.dag_id, key.run_id, request.task_id, request.map_index)
                record = await queries.get_xcom(self.db, other, request.key)
                return {"found": record is not None, "value": None if record is None else record.value}
            case XComGetAll() | XComCount():
                page = await queries.list_xcoms(
                    self.db, dag_id=key.dag_id, run_id=key.run_id, task_id=request.task_id, xcom_key=request.key,
                    limit=100_000,
                )  # fmt: skip
                items = sorted(page.items, key=lambda x: x.map_index)
                if isinstance(request, XComCount):
                    return len(items)
                return [x.value for x in items] if items else None
            case GetVariable():
                value = await store_secrets.get_variable(self.db, request.key, environ={})
                mask_secret(value, request.key)  # hidden in the task logs this app writes, by Airflow's rules
                return value
            case GetConnection():
                conn_record = await store_secrets.get_connection_record(self.db, request.conn_id)
                if conn_record is None:
                    return None
                mask_secret(conn_record.password)
                with contextlib.suppress(ValueError, TypeError):
                    mask_secret(json.loads(conn_record.extra or "{}"))
                return connection_as_json(conn_record)
            case SetVariable():
                await store_secrets.set_variable(self.db, request.key, request.value, description=request.description)
                return None
            case DeleteVariable():
                await store_secrets.delete_variable(self.db, request.key)
                return None
            case GetAssetEvents():
                return await asset_event_queries.select_asset_events(
                    self.db, name=request.name, uri=request.uri, alias_name=request.alias_name, after=request.after,
                    before=request.before, ascending=request.ascending, limit=request.limit,
                    consumed_by=(key.dag_id, key.run_id) if request.triggering else None,
                )  # fmt: skip
            case AssetStateOp():
                return await asset_event_queries.asset_state(
                    self.db, request.state_op, name=request.name, uri=request.uri, asset=request.asset,
                    key=request.key, value=request.value, writer=key,
                )  # fmt: skip
            case TaskStateOp():
                return await task_state_queries.answer(
                    self.db, key, request.state_op, request.key, request.value, request.expires_at
                )
            case GetInactiveAssets():
                return await app_queries.inactive_assets(self.db, [(name, uri) for name, uri in request.keys])
            case UpsertHITLDetail():
                await hitl_queries.upsert_request(self.db, key, request.detail)
                return None
            case TriggerDagRun():
                logical = None if request.logical_date is None else pendulum.parse(request.logical_date)
                outcome = await app_queries.trigger_or_reset_dag_run(
                    self.db, request.dag_id, request.run_id, logical_date=logical,  # type: ignore[arg-type]
                    conf=request.conf or {}, reset=request.reset_dag_run,
                )  # fmt: skip
                if outcome == "refused":
                    log.warning("%s may not trigger %s: not in this app's grant (db grant-app --trigger-dags)",
                                key.task_id, request.dag_id)  # fmt: skip
                return {"outcome": outcome}
            case GetDagRunState():
                return await app_queries.dag_run_state(self.db, request.dag_id, request.run_id)
            case CountExternal():
                dates = [pendulum.parse(d) for d in request.logical_dates]
                return await app_queries.external_count(
                    self.db, request.dag_id, dates, request.states, request.task_ids,  # type: ignore[arg-type]
                    request.group_id,
                )  # fmt: skip

    async def _read_xcoms(
        self, key: TaskInstanceKey, request: XComGetOne | XComGetAll, map_index: int | None
    ) -> list[tuple[int, Any]]:
        """XComs of another run or DAG, or of the earlier runs too (latest run first); another DAG's through the
        checked function that lets a confined app read only what its grant allows."""
        dag_id = request.dag_id or key.dag_id
        return await cross_run_queries.read_xcoms(
            self.db, dag_id, request.run_id or key.run_id, request.task_id, request.key, map_index=map_index,
            include_prior_dates=request.include_prior_dates, own_dag=dag_id == key.dag_id,
        )  # fmt: skip

    async def _serve(self, key: TaskInstanceKey, sock: socket.socket, token: str) -> TryResult | None:
        reader, writer = await asyncio.open_connection(sock=sock)
        result: TryResult | None = None
        try:
            while True:
                data = await read_message(reader)
                if data is None:
                    break
                if not hmac.compare_digest(str(data.pop("token", "")), token):
                    log.warning("Refused a channel message without %s's identity token (op %r)", key, data.get("op"))
                    await write_message(writer, Reply(error="PermissionError: not this try's identity token").to_wire())
                    continue
                try:
                    message = from_wire(data)
                    if isinstance(message, ReportResult):
                        result = message.result
                        continue
                    reply = Reply(value=await self._answer(key, message))
                except Exception as exc:  # a bad request fails the task's call, not the app
                    reply = Reply(error=f"{type(exc).__name__}: {exc}")
                await write_message(writer, reply.to_wire())
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        return result

    async def _pump_logs(self, key: TaskInstanceKey, try_number: int, read_fd: int) -> tuple[int, list[str]]:
        """Copies the task's output into task_log in small batches while it runs; returns how many lines it wrote,
        and the lines that came after its last batch (most often all of a short try's: written with its result)."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 20)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", buffering=0)
        )
        pending: list[str] = []
        masker = secrets_masker()
        total = 0
        last_flush = time.monotonic()
        try:
            while True:
                try:
                    line = await asyncio.wait_for(reader.readline(), LOG_FLUSH_SECONDS)
                except TimeoutError:
                    line = None
                if line == b"":
                    break
                if line is not None:
                    pending.append(masker.mask_text(line.decode(errors="backslashreplace").rstrip("\n")))
                if pending and (len(pending) >= LOG_FLUSH_LINES or time.monotonic() - last_flush >= LOG_FLUSH_SECONDS):
                    await queries.append_task_log(self.db, key, try_number, pending, durable=False)
                    total += len(pending)
                    pending = []
                    last_flush = time.monotonic()
        finally:
            transport.close()
        return total, pending

    # --- the fork server: kept while there is work ------------------------------------------------------------------
    def _ensure_fork_server(self) -> ForkServer:
        """The fork server, made again when it was released or died (killed, out of memory). A new one is still
        importing the DAG file: `fork()` waits for it, `template_ready()` does so without blocking the loop."""
        self._cancel_release()
        old = self.fork_server
        if old is not None and old.alive():
            return old
        if old is not None:
            log.error("The fork server of %s died (exit code %s); starting a new one", old.path, old.returncode)
            old.close()
            self._retire_spare()
        else:
            log.info("Starting a fork server for %s", self.path)
        server = self.new_template(self.path)
        server.attach(asyncio.get_running_loop())
        self.fork_server = server
        return server

    async def template_ready(self) -> None:
        """Before a dispatch: a fork server that has imported the DAG file, waited for on the loop. Its failure is
        left to the forks that follow (each try then fails with the reason in its log)."""
        with contextlib.suppress(ForkServerError):
            await self._ensure_fork_server().ready(TEMPLATE_READY_SECONDS)

    def expect_work_in(self, seconds: float | None) -> None:
        """The scheduler's next wake-up (a run due, a retry, a reschedule) is `seconds` away (None: nothing
        scheduled): a released fork server is made again `TEMPLATE_LEAD_SECONDS` ahead of it."""
        self.next_due = None if seconds is None else asyncio.get_running_loop().time() + seconds
        self._arm_prestart()

    def _arm_prestart(self) -> None:
        if self._prestart_timer is not None:
            self._prestart_timer.cancel()
            self._prestart_timer = None
        loop = asyncio.get_running_loop()
        # A wake-up already past is being handled (or was): its dispatch makes the fork server if it needs one.
        if self.next_due is not None and self.next_due > loop.time() and self.fork_server is None and not self._closed:
            self._prestart_timer = loop.call_at(max(self.next_due - TEMPLATE_LEAD_SECONDS, loop.time()), self._prestart)

    def _prestart(self) -> None:
        self._prestart_timer = None
        if self.fork_server is None and not self._closed:
            self._ensure_fork_server()
            self.release_when_idle()  # should the run not come (paused meanwhile), it goes again

    def _track(self, task: asyncio.Task[None]) -> None:
        """Holds the loop task until it ends (the loop keeps only weak references: a collection could otherwise
        drop a pending supervision, and its try would never end); the last one to end starts the fork server's idle
        clock."""
        self._callback_tasks.add(task)

        def ended(task: asyncio.Task[None]) -> None:
            self._callback_tasks.discard(task)
            self._work_ended()

        task.add_done_callback(ended)

    def _work_ended(self) -> None:
        """A piece of work that needed the fork server ended: when it was the last, the idle clock starts."""
        if not self._busy():
            self.release_when_idle()

    def _busy(self) -> bool:
        """Whether anything still needs the fork server: tries, callbacks, processes whose exit it reports."""
        return bool(self.running or self._callback_tasks or self._exiting or self._spare_coming is not None)

    def release_when_idle(self) -> None:
        """Called when the last work ended: the fork server goes `idle_seconds` from now unless work comes."""
        self._cancel_release()
        if self.idle_seconds > 0 and self.fork_server is not None and not self._closed:
            self._release_timer = asyncio.get_running_loop().call_later(self.idle_seconds, self._release_if_idle)

    def _cancel_release(self) -> None:
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None

    def _release_if_idle(self) -> None:
        self._release_timer = None
        server = self.fork_server
        if server is None or self._closed or self._busy():
            return  # the end of that work asks again
        now = asyncio.get_running_loop().time()
        if self.next_due is not None and 0 <= self.next_due - now < self.keep_for_due_within:
            # Kept for that run; asked again once it is past (its work, if it comes, asks again when it ends).
            self._release_timer = asyncio.get_running_loop().call_at(self.next_due + self.idle_seconds,
                                                                     self._release_if_idle)  # fmt: skip
            return
        if self._spare is not None:  # its exit is reported by the fork server: retire it first, then ask again
            self._retire_spare()
            self._release_timer = asyncio.get_running_loop().call_later(1.0, self._release_if_idle)
            return
        self.fork_server = None
        server.close()
        self._arm_prestart()  # for the scheduled wake-up already known
        log.info("Closed the fork server of %s after %gs without work; the next try starts a new one", self.path,
                 self.idle_seconds)  # fmt: skip

    # --- task processes: forked on request, or the spare ----------------------------------------------------------
    def _fork_task_process(self, dag_id: str, limits: TaskLimits) -> TaskProcess:
        """A task process forked now (the app waits for the fork server's reply); ForkServerError if it cannot."""
        cgroup = self._cgroup_now(limits)
        parent_sock, child_sock = socket.socketpair()
        read_fd, write_fd = os.pipe()
        server = self._ensure_fork_server()
        try:
            pid = server.fork(dag_id, child_sock.fileno(), write_fd, cgroup)
        except ForkServerError:
            parent_sock.close()
            os.close(read_fd)
            if cgroup is not None:
                self._remove_cgroup(cgroup)
            raise
        finally:
            child_sock.close()
            os.close(write_fd)
        exited = asyncio.ensure_future(server.exit_code(pid))
        return TaskProcess(pid, parent_sock, read_fd, cgroup, _fit(limits), server, exited)

    def _cgroup_now(self, limits: TaskLimits) -> TaskCgroup | None:
        """A pids cgroup for a try forked on request: the one made ahead for the next spare when it is ready (a
        `mkdir` here may wait ~10 ms for the kernel's cgroup lock, `_make_spare`), else a new one."""
        if not limits.pids_cgroup:
            return None
        ahead = self._cgroup_ahead
        if ahead is not None and ahead.done() and not ahead.cancelled() and ahead.exception() is None:
            cgroup = ahead.result()
            if cgroup is not None and limits.processes == self.limits.processes:
                self._cgroup_ahead = None  # the next spare's is made when it is asked for
                return cgroup
        return TaskCgroup.create(limits.processes)

    def _take_spare(self, dag_id: str, limits: TaskLimits) -> TaskProcess | None:
        """The spare, when there is one that fits this try (alive, of the current fork server, the same cgroup)."""
        spare, self._spare = self._spare, None
        if spare is None:
            return None
        if spare.exited.done() or spare.server is not self.fork_server or spare.made_for != _fit(limits):
            if spare.exited.done():
                log.warning("A spare task process exited before its try (code %s): %s", _code(spare.exited),
                            _output(spare.log_fd))  # fmt: skip
            spare.discard(self._remove_cgroup)
            return None
        if self.fork_server is None or dag_id not in (self.fork_server.dag_ids or ()):
            self._spare = spare  # the on-request fork below says what is wrong
            return None
        return spare

    def _keep_a_spare(self) -> None:
        """Asks the fork server for the next spare, unless one is there or on its way. The request goes out when the
        loop next turns (after the hop's own work); the reply is read by the loop."""
        self._cancel_retirement()  # a try is running: the spare stays
        if not self.spares or self._closed or self._spare is not None or self._spare_coming is not None:
            return
        loop = asyncio.get_running_loop()
        self._spare_coming = loop.create_future()
        loop.call_soon(self._make_spare, self._spare_coming)

    def _make_spare(self, coming: asyncio.Future[TaskProcess | None]) -> None:
        """Its cgroup was made ahead, in a worker thread, with the previous spare's: a `mkdir` waits for the kernel's
        cgroup lock, which any process joining a cgroup on the machine holds for ~10 ms (limits.py)."""
        limits = self.limits  # what every try gets; the try's own limits come with its assignment
        if not limits.pids_cgroup:
            self._fork_spare(coming, None)
            return
        loop = asyncio.get_running_loop()
        created = self._cgroup_ahead or loop.run_in_executor(None, TaskCgroup.create, limits.processes)
        self._cgroup_ahead = loop.run_in_executor(None, TaskCgroup.create, limits.processes)  # the next spare's

        def fork(created: asyncio.Future[TaskCgroup | None]) -> None:
            cgroup = None if created.cancelled() or created.exception() is not None else created.result()
            if self._closed:
                if cgroup is not None:
                    self._remove_cgroup(cgroup)
                if self._spare_coming is coming:
                    self._spare_coming = None
                coming.set_result(None)
                return
            self._fork_spare(coming, cgroup)

        if created.done():
            fork(created)
        else:
            created.add_done_callback(fork)

    def _fork_spare(self, coming: asyncio.Future[TaskProcess | None], cgroup: TaskCgroup | None) -> None:
        server = self.fork_server
        limits = self.limits
        parent_sock, child_sock = socket.socketpair()
        read_fd, write_fd = os.pipe()
        try:
            if server is None:
                raise ForkServerError("no fork server")
            forked = server.fork_ahead(child_sock.fileno(), write_fd, cgroup)
        except ForkServerError:
            forked = asyncio.get_running_loop().create_future()
            forked.set_exception(ForkServerError("no fork server to fork a spare"))
        finally:
            child_sock.close()
            os.close(write_fd)

        def arrived(forked: asyncio.Future[int]) -> None:
            if self._spare_coming is coming:
                self._spare_coming = None
                self._work_ended()
            if forked.cancelled() or forked.exception() is not None:
                parent_sock.close()
                os.close(read_fd)
                if cgroup is not None:
                    self._remove_cgroup(cgroup)
                coming.set_result(None)
                return
            pid = forked.result()
            assert server is not None
            exited = asyncio.ensure_future(server.exit_code(pid))
            spare = TaskProcess(pid, parent_sock, read_fd, cgroup, _fit(limits), server, exited)
            coming.set_result(spare)
            if self._closed or server is not self.fork_server or self._spare is not None:
                spare.discard(self._remove_cgroup)
                return
            self._spare = spare
            if not self.running:
                self._retire_spare_later()

        forked.add_done_callback(arrived)

    def _cancel_retirement(self) -> None:
        if self._spare_timer is not None:
            self._spare_timer.cancel()
            self._spare_timer = None

    def _retire_spare_later(self) -> None:
        self._cancel_retirement()
        self._spare_timer = asyncio.get_running_loop().call_later(SPARE_LINGER_SECONDS, self._retire_if_idle)

    def _retire_if_idle(self) -> None:
        self._spare_timer = None
        if not self.running:
            self._retire_spare()

    def _retire_spare(self) -> None:
        spare, self._spare = self._spare, None
        if spare is not None:
            spare.discard(self._remove_cgroup)

    def _remove_cgroup(self, cgroup: TaskCgroup) -> None:
        """Kills what is left in a try's cgroup and removes it, in a worker thread: removing a cgroup waits for the
        kernel's cgroup lock, which a spare joining its cgroup holds for ~10 ms (limits.py)."""
        removal = asyncio.get_running_loop().run_in_executor(None, cgroup.kill_all)
        self._cgroup_removals.add(removal)

        def removed(removal: asyncio.Future[bool]) -> None:
            self._cgroup_removals.discard(removal)
            if not removal.cancelled() and removal.exception() is None and not removal.result():
                log.warning("Could not remove the cgroup %s: a process in it did not die", cgroup.path)

        removal.add_done_callback(removed)

    def sweep_stale_cgroups(self) -> None:
        """Removes, in the background, the cgroups of tries whose app was killed before it could remove them (and
        kills what still runs in them); called once as the app starts."""
        sweep = asyncio.get_running_loop().run_in_executor(None, TaskCgroup.sweep_stale)
        self._cgroup_removals.add(sweep)

        def swept(sweep: asyncio.Future[list[Any]]) -> None:
            self._cgroup_removals.discard(sweep)
            if sweep.cancelled():
                return
            if sweep.exception() is not None:
                log.warning("Could not sweep the cgroups of apps that are gone: %s", sweep.exception())
            elif removed := sweep.result():
                log.info("Removed %d cgroup(s) of tries of apps that are gone: %s", len(removed),
                         ", ".join(path.name for path in removed))  # fmt: skip

        sweep.add_done_callback(swept)

    def _remove_cgroup_after(self, exited: asyncio.Future[int], cgroup: TaskCgroup) -> None:
        self._exiting[exited] = cgroup

        def gone(exited: asyncio.Future[int]) -> None:
            if not exited.cancelled():
                exited.exception()  # retrieved: a fork server that died meanwhile is reported elsewhere
            if self._exiting.pop(exited, None) is not None:
                self._remove_cgroup(cgroup)
            self._work_ended()

        exited.add_done_callback(gone)

    async def close(self) -> None:
        """Retires the spare (one on its way too) and waits, briefly, until the cgroups of its tries are gone."""
        self._closed = True
        self._cancel_retirement()
        self._cancel_release()
        if self._prestart_timer is not None:
            self._prestart_timer.cancel()
        spares = [self._spare]
        self._spare = None
        if self._spare_coming is not None:
            with contextlib.suppress(TimeoutError):
                spares.append(await asyncio.wait_for(asyncio.shield(self._spare_coming), 5))
        for spare in spares:
            if spare is None:
                continue
            spare.discard(self._remove_cgroup)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(spare.exited), 5)
        if self._cgroup_ahead is not None:
            with contextlib.suppress(Exception):
                ahead = await asyncio.wait_for(self._cgroup_ahead, 5)
                if ahead is not None:
                    self._remove_cgroup(ahead)
            self._cgroup_ahead = None
        if self._exiting:  # tries that ended a moment ago: their processes are exiting
            await asyncio.wait(set(self._exiting), timeout=5)
            for cgroup in self._exiting.values():
                self._remove_cgroup(cgroup)
            self._exiting.clear()
        if self._cgroup_removals:
            await asyncio.wait(set(self._cgroup_removals), timeout=10)

    # --- starting a try -------------------------------------------------------------------------------------------
    def launch(
        self,
        dag: Any,
        claim: Claim,
        run: DagRunRecord,
        key: TaskInstanceKey,
        timeout: float | None,
        *,
        spare: bool = True,
    ) -> RunningTry:
        """Starts the task process now and returns; `done` resolves when the try has ended. With `spare` (another
        try may start soon) the next spare is prepared after it."""
        limits = limits_for(dag.task_dict[key.task_id], self.limits)
        token = secrets.token_hex(16)  # the try's identity on its channel
        now = time.monotonic()
        # The child enforces execution_timeout itself; this is the backstop if it cannot (a blocked C call).
        deadline = now + timeout + 10 if timeout else None
        try:
            process = self._take_spare(dag.dag_id, limits) or self._fork_task_process(dag.dag_id, limits)
        except ForkServerError as exc:  # the try fails with the reason in its log; the app keeps running
            log.error("Could not start %s: %s", key, exc)
            running = RunningTry(key, claim.try_number, 0, now, deadline, None, token)
            task = asyncio.get_running_loop().create_task(self._failed_start(running, str(exc)))
            self._track(task)
            return running
        running = RunningTry(key, claim.try_number, process.pid, now, deadline, process.cgroup, token)
        with contextlib.suppress(OSError):  # a task killed before it read this fails by its exit code
            send_start(process.channel, TaskStart(run, claim, token, limits))
        self.running[(key.dag_id, key.run_id, key.task_id, key.map_index)] = running
        supervision = asyncio.get_running_loop().create_task(self._supervise(running, process))
        self._track(supervision)
        if spare:
            self._keep_a_spare()
        else:
            self._cancel_retirement()  # a try is running: a spare already there stays until the tries end
        return running

    async def _failed_start(self, running: RunningTry, error: str) -> None:
        try:
            await queries.append_task_log(self.db, running.key, running.try_number, [f"ERROR - {error}"])
        finally:
            running.done.set_result(ProcessOutcome(1, None, 0, 1))

    async def _supervise(self, running: RunningTry, process: TaskProcess) -> None:
        killed: str | None = None
        serve = asyncio.create_task(self._serve(running.key, process.channel, running.token))
        logs = asyncio.create_task(self._pump_logs(running.key, running.try_number, process.log_fd))
        exit_task = process.exited

        def reported_and_closed() -> bool:
            """The try sent its result and closed its channel and its output: it has nothing more to say, and its
            process is on its way out (tearing down its memory takes milliseconds, which the hop need not wait)."""
            return serve.done() and logs.done() and serve.exception() is None and serve.result() is not None

        try:
            while not exit_task.done() and not reported_and_closed():
                wait = None if running.deadline is None else max(running.deadline - time.monotonic(), 0)
                pending = {task for task in (exit_task, serve, logs) if not task.done()}
                await asyncio.wait(pending, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
                if not exit_task.done() and running.deadline is not None and time.monotonic() >= running.deadline:
                    killed = "execution_timeout"
                    self.kill(running, signal.SIGKILL)
                    running.deadline = None
            code = exit_task.result() if exit_task.done() else None
            # Processes the try left behind die with it: they would hold its channel and log pipe open for ever.
            self.kill(running, signal.SIGKILL)
            result = await serve
            written, tail = await logs
        except BaseException:
            self.kill(running, signal.SIGKILL)
            raise
        finally:
            self.running.pop((running.key.dag_id, running.key.run_id, running.key.task_id, running.key.map_index), None)
            if running.cgroup is not None:  # whatever the try started and left behind goes with it, once it exited
                self._remove_cgroup_after(exit_task, running.cgroup)
            if not self.running:
                self._retire_spare_later()
        if not running.done.done():
            running.done.set_result(ProcessOutcome(code, result, running.pid, written + len(tail), killed, tail))

    def launch_dag_callbacks(self, dag: Any, run: DagRunRecord, reason: str | None = None) -> None:
        """Runs a finished run's DAG-level callbacks in a child process (`reason` as Airflow gives it: success,
        task_failure, timed_out); its output goes to the app's log."""
        callbacks = dag.on_success_callback if run.state == "success" else dag.on_failure_callback
        if not callbacks:
            return
        server = self._ensure_fork_server()
        read_fd, write_fd = os.pipe()
        parent_sock, child_sock = socket.socketpair()
        try:
            pid = server.fork(dag.dag_id, child_sock.fileno(), write_fd)
        except ForkServerError as exc:
            log.error("Could not run the DAG callbacks of %s run %s: %s", dag.dag_id, run.run_id, exc)
            os.close(read_fd)
            return
        finally:
            child_sock.close()
            os.close(write_fd)
        with parent_sock, contextlib.suppress(OSError):
            send_start(parent_sock, TaskStart(run, reason=reason))

        async def collect() -> None:
            loop = asyncio.get_running_loop()
            with os.fdopen(read_fd, "rb") as pipe:
                output = await loop.run_in_executor(None, pipe.read)
            code = await server.exit_code(pid)
            for line in output.decode(errors="backslashreplace").splitlines():
                log.info("[%s dag callback] %s", dag.dag_id, line)
            if code != 0:
                log.warning("DAG callbacks of %s run %s ended with exit code %s", dag.dag_id, run.run_id, code)

        task = asyncio.get_running_loop().create_task(collect())
        self._track(task)

    def launch_deadline_callback(self, callback: Any, context: dict[str, Any]) -> None:
        """Runs a missed deadline's callback in a child process; its output goes to the app's log."""
        dag_id = str(context["dag_run"]["dag_id"])
        server = self._ensure_fork_server()
        read_fd, write_fd = os.pipe()
        parent_sock, child_sock = socket.socketpair()
        try:
            pid = server.fork(dag_id, child_sock.fileno(), write_fd)
        except ForkServerError as exc:
            log.error("Could not run the deadline callback %s of %s: %s", callback.path, dag_id, exc)
            os.close(read_fd)
            return
        finally:
            child_sock.close()
            os.close(write_fd)
        with parent_sock, contextlib.suppress(OSError):
            send_start(parent_sock, TaskStart(None, deadline=(callback, context)))
        run_id = context["dag_run"]["dag_run_id"]

        async def collect() -> None:
            loop = asyncio.get_running_loop()
            with os.fdopen(read_fd, "rb") as pipe:
                output = await loop.run_in_executor(None, pipe.read)
            code = await server.exit_code(pid)
            for line in output.decode(errors="backslashreplace").splitlines():
                log.info("[deadline callback %s] %s", callback.path, line)
            if code != 0:
                log.error("Deadline callback %s of run %s ended with exit code %s", callback.path, run_id, code)

        task = asyncio.get_running_loop().create_task(collect())
        self._track(task)

    def kill(self, running: RunningTry, sig: int = signal.SIGTERM) -> None:
        """Signals the try's whole process group (the task and anything it started)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(running.pid, sig)
        if sig == signal.SIGKILL and running.cgroup is not None:
            running.cgroup.kill_processes()  # also processes that left the process group (setsid)

    async def stop_all(self, grace: float) -> list[RunningTry]:
        """SIGTERM every running try, wait up to `grace` seconds, then SIGKILL the rest; returns those killed."""
        tries = list(self.running.values())
        for running in tries:
            self.kill(running, signal.SIGTERM)
        if tries:
            await asyncio.wait([r.done for r in tries], timeout=grace)
        stubborn = [r for r in tries if not r.done.done()]
        for running in stubborn:
            self.kill(running, signal.SIGKILL)
        if stubborn:
            await asyncio.wait([r.done for r in stubborn], timeout=5)
        return tries


def _code(exited: asyncio.Future[int]) -> str:
    return "unknown" if exited.cancelled() or exited.exception() is not None else str(exited.result())


def _output(fd: int) -> str:
    """What a process that has exited wrote (the last 2000 characters): why a spare left early."""
    os.set_blocking(fd, False)
    chunks = []
    with contextlib.suppress(OSError):
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="backslashreplace")[-2000:] or "(no output)"
