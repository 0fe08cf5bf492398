"""The DAG app process: load one DAG file, register, hold the DAG locks, and run the event-driven loop.

Start-up: import only the given file (or folder), serialize each DAG and store a new dag_version when its hash
changed, register in `app` with a heartbeat, and take a per-DAG advisory lock — a second replica waits as a hot
standby and takes over within seconds when the first dies. The loop wakes on NOTIFY (runs created, pauses, state
changes from the broker), on task results and on the next timetable fire time; there is no polling while idle.
SIGTERM (the Kubernetes PreStop path) stops new work, lets running tries finish within the grace period, hands
the rest back as retryable, releases the locks and deregisters.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import signal
import socket
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pendulum

from riir_airflow import __version__
from riir_airflow.app.dag_store import record_import_errors, store_dag
from riir_airflow.app.environment import apply_environment, configured_environment
from riir_airflow.app.executor import ForkExecutor, connection_as_json
from riir_airflow.app.fork_server import ForkServer
from riir_airflow.app.identity import deploy_identity
from riir_airflow.app.other_dags import AppOtherDags
from riir_airflow.app.scheduler import DagScheduler
from riir_airflow.app.triggerer_secrets import AppProcessSecrets
from riir_airflow.authoring import secrets_backends as secrets
from riir_airflow.authoring.triggers import set_trigger_other_dags
from riir_airflow.dag_processing.loader import DagBag, list_py_files
from riir_airflow.engine.engine import lost_try_state
from riir_airflow.metastore import app_queries, notify, plugin_queries, queries
from riir_airflow.metastore.connections import ConnectionBudget, connect_waiting
from riir_airflow.metastore.pool import connect, resolve_settings, session_settings
from riir_airflow.metastore.records import StateChange, TaskInstanceRecord
from riir_airflow.plugins import manager as plugins_manager
from riir_airflow.plugins.listener_calls import notify as notify_listeners

log = logging.getLogger("riir_airflow.app")
# Heartbeats: every 5 s while tries of this app run (their last_heartbeat_at too), every 15 s while none does. Both
# stay well inside what reads them: `[broker] app_stale_after` (60 s) and `[scheduler]
# scheduler_health_check_threshold` (30 s) for the app, `task_instance_heartbeat_timeout` (300 s) for tries.
HEARTBEAT_SECONDS = 5.0
IDLE_HEARTBEAT_SECONDS = 15.0
IDLE_WAKE_SECONDS = 60.0  # a safety net only: pauses and runs created elsewhere are notified
EXEC_TEMPLATE_KEEP_SECONDS = 300.0  # an exec'd app keeps its fork server for a run due within this long


def code_hash(paths: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


class ImportFailed(Exception):
    """The DAG file did not load; the message holds Airflow's import error text."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class DagApp:
    """One app: its DAGs, database connections, executor and loop."""

    def __init__(
        self,
        path: str,
        *,
        app_id: str | None = None,
        parallelism: int | None = None,
        grace_period: float = 30.0,
        fork_server: ForkServer | None = None,
        forked_from_zygote: bool = False,
        new_template: Callable[[str], ForkServer] = ForkServer.start,
    ) -> None:
        from riir_airflow.config import conf

        self.forked_from_zygote = forked_from_zygote  # how to prepare the fork server (ForkServer.fork_template)
        self.path = os.path.abspath(path)
        # The template every task process forks from; `riir-airflow app` starts it before anything reads a secret.
        self.fork_server = fork_server
        # How a fork server closed while idle is made again (app/executor.py): a fresh interpreter by default, a fork
        # of standalone's zygote for an app forked from it.
        self.new_template = new_template
        self.app_id = app_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.parallelism = parallelism or conf.getint("core", "parallelism", fallback=32)
        self.grace_period = grace_period
        self.stopping = asyncio.Event()
        self.wake = asyncio.Event()
        self.schedulers: dict[str, DagScheduler] = {}
        self.db: Any = None  # the ConnectionBudget: session connection (locks, LISTEN) + on-demand work connection
        self.paused: dict[str, bool] = {}
        self.pause_changed = True  # re-read `paused` on the next loop turn
        self.paused_read_at = 0.0
        self.heartbeat_ok = True  # while False, no new tries are claimed
        self.listening_for_slots = False  # LISTENing to every DAG's task states (tries of ours wait for pool slots)
        self.next_stale_check = float("inf")  # loop time of the next stale-try detection (set once scheduling)
        # Read once, as Airflow's scheduler does: the heartbeat is an idle app's only work, and a lookup reads the
        # environment and stats airflow.cfg.
        self.stale_try_timeout = dt.timedelta(
            seconds=conf.getint("scheduler", "task_instance_heartbeat_timeout", fallback=300)
        )
        self.stale_check_interval = conf.getfloat(
            "scheduler", "task_instance_heartbeat_timeout_detection_interval", fallback=10.0
        )
        self.fencing_tokens: dict[str, int] = {}
        self.fenced = False  # lost the locks: no more writes, exit non-zero
        self.closing = False
        self.own_dag_ids: set[str] = set()  # the DAGs of this app's file, once loaded
        self.reload_requested = False  # PUT /parseDagFile: drain, then `riir-airflow app` starts over (cli/app_command)

    # --- start-up ---------------------------------------------------------------------------------------------------
    def load(self) -> DagBag:
        bag = DagBag(self.path)
        if bag.import_errors:
            text = "\n".join(f"{path}:\n{error}" for path, error in bag.import_errors.items())
            raise ImportFailed(f"{len(bag.import_errors)} DAG file(s) failed to load:\n{text}", bag.import_errors)
        if not bag.dags:
            raise ImportFailed(f"{self.path}: no DAG found")
        bag.dags = apply_environment(bag.dags, configured_environment())  # test deploys: app/environment.py
        return bag

    async def register(self, bag: DagBag) -> dict[str, Any]:
        """Stores each DAG and its current version; returns dag_id -> dag_version id."""
        versions: dict[str, Any] = {}
        identity = deploy_identity()
        for dag in bag.dags.values():
            versions[dag.dag_id] = await store_dag(self.db, dag, app_id=self.app_id, identity=identity)
        files = list_py_files(self.path)
        await queries.register_app(
            self.db, self.app_id, name=os.path.basename(self.path), dag_ids=sorted(bag.dags),
            code_hash=code_hash(files), hostname=socket.gethostname(), pid=os.getpid(), version=__version__,
        )  # fmt: skip
        await self.publish_plugins()
        return versions

    async def publish_plugins(self) -> None:
        """Puts what this app's plugins are (and which plugin files failed) on its app row, for the broker."""
        info = json.loads(json.dumps(plugins_manager.get_plugin_info(), default=str))
        errors = plugins_manager.import_errors()
        for source, error in errors.items():
            log.error("Plugin %s failed to load: %s", source, error)
        await plugin_queries.publish_app_plugins(self.db, self.app_id, info, errors)

    async def acquire_locks(self, dag_ids: Sequence[str]) -> None:
        """Waits (as a hot standby) until this app holds the scheduling lock of every one of its DAGs."""
        waiting_logged = False
        for dag_id in dag_ids:
            while not await self._try_lock(dag_id):
                if not waiting_logged:
                    log.info("Another app schedules %s; waiting as a standby", dag_id)
                    waiting_logged = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), 1.0)
                if self.stopping.is_set():
                    return
        log.info("Scheduling %s", ", ".join(dag_ids))

    async def _try_lock(self, dag_id: str) -> bool:
        """Takes the DAG's advisory lock (held by the session connection) and, with it, a new fencing token."""
        async with self.db.session_connection() as conn:
            if not await app_queries.acquire_dag_lock(conn, dag_id):
                return False
            self.fencing_tokens[dag_id] = await app_queries.take_lease(conn, dag_id, self.app_id)
            return True

    def fence(self, reason: BaseException | str) -> None:
        """This app lost (or may have lost) its DAG locks: stop acting for its DAGs at once. Its running tries are
        killed; the app that takes over recovers them (retried per their retries) — Airflow's at-least-once."""
        if self.fenced:
            return
        self.fenced = True
        log.error("Fenced: %s. Stopping without further writes; a standby (or this app, restarted) takes over", reason)
        for scheduler in self.schedulers.values():
            scheduler.accepting = False
        self.stopping.set()

    def _on_session_closed(self, _conn: Any) -> None:
        if not self.closing:
            self.fence("the session connection holding the DAG locks closed")

    async def recover(self, dag_ids: Sequence[str]) -> None:
        """Tries left running or queued by a previous life of this DAG's app: their processes are gone (or are
        killed now), so each becomes retryable or failed per its retry policy. Successes were recorded already
        and are never touched (every change is compare-and-set on the try)."""
        orphans = await app_queries.tries_of_dags(self.db, dag_ids, ["running", "queued"])
        here = socket.gethostname()
        for ti in orphans:
            if ti["state"] == "running" and ti["pid"] and ti["hostname"] == here:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(ti["pid"], signal.SIGKILL)
            if ti["state"] == "queued":
                await queries.set_task_states(self.db, ti["dag_id"], ti["run_id"], [
                    StateChange(ti["task_id"], None, ("queued",), ti["map_index"])
                ])  # fmt: skip
                continue
            await self._end_lost_try(ti["id"], ti["dag_id"], ti["task_id"], ti["map_index"], ti["try_number"],
                                     ti["max_tries"], "Recovered")  # fmt: skip

    async def _end_lost_try(
        self, ti_id: Any, dag_id: str, task_id: str, map_index: int, try_number: int, max_tries: int, what: str
    ) -> None:
        state = lost_try_state(try_number, max_tries)
        await queries.record_task_result(self.db, ti_id, try_number, state, expected=("running",))
        log.warning("%s %s.%s[%s] try %s as %s", what, dag_id, task_id, map_index, try_number, state)

    # --- the loop ---------------------------------------------------------------------------------------------------
    def _on_notification(self, _conn: Any, _pid: int, channel: str, payload: object) -> None:
        note = _payload(payload)
        scheduler = self.schedulers.get(str(note.get("dag_id")))
        if channel.startswith(notify.DAG_CHANNEL_PREFIX):
            channel = str(note.pop("event", ""))  # one of our DAGs' own channels: the kind is in the payload
            if channel == notify.REPARSE_REQUESTED and str(note.get("dag_id")) in self.own_dag_ids:
                log.info("Reloading %s: a reparse of its file was requested", self.path)
                self.reload_requested = True
                self.stopping.set()  # drains as on SIGTERM; the command then runs the app again on the new code
                return
        elif scheduler is not None:
            return  # the global channel while waiting for slots: our own DAGs' events come on their channels
        if scheduler is None:
            # Another app's DAG. Its tries ending can only matter here by freeing pool slots that tries of ours wait
            # for; anything else would wake every app of a large deployment for every change anywhere.
            waiting = any(s.waiting_for_slots for s in self.schedulers.values())
            if not (channel == notify.TASK_STATE_CHANGED and waiting and note.get("state") not in _PROGRESS_STATES):
                return
        elif channel == notify.TASK_STATE_CHANGED and (
            (note.get("state") in _PROGRESS_STATES and note.get("previous") not in _RESUMED_ELSEWHERE)
            or scheduler.is_echo(note)
        ):
            return
        if channel == notify.RUN_CREATED and scheduler is not None:
            scheduler.run_created_elsewhere()
        if channel == notify.DAG_PAUSED:
            self.pause_changed = True
            if scheduler is not None:
                scheduler.nothing_due_before = None
        self.wake.set()

    def _stale_check_due(self) -> bool:
        """Stale-try detection rides on the heartbeat once `task_instance_heartbeat_timeout_detection_interval` (10 s)
        has passed since the last one: one timer per app instead of two (while the app is idle it runs every 15 s, far
        inside the 300 s timeout it enforces)."""
        if not self.schedulers or self.stopping.is_set() or self.fenced or loop_time() < self.next_stale_check:
            return False
        self.next_stale_check = loop_time() + self.stale_check_interval
        return True

    async def _listen_for_slots(self, waiting: bool) -> None:
        """While tries of ours wait for pool slots, other DAGs' tries ending can free them: listen to every DAG's task
        states then, and only then (otherwise each event would reach every app of the deployment)."""
        if waiting == self.listening_for_slots:
            return
        async with self.db.session_connection() as conn:
            if waiting:
                await conn.add_listener(notify.TASK_STATE_CHANGED, self._on_notification)
                # A slot freed between this turn's claims and the LISTEN was not heard: look once more.
                self.wake.set()
            else:
                await conn.remove_listener(notify.TASK_STATE_CHANGED, self._on_notification)
        self.listening_for_slots = waiting

    async def _heartbeat(self) -> None:
        """Stamps the app's and its running tries' heartbeats, and lists stale tries when that is due, in one statement
        on the session connection (the one an idle app keeps open anyway). While heartbeats fail, the app claims no
        new tries and says so; it resumes when one succeeds."""
        stopped = asyncio.ensure_future(self.stopping.wait())  # one waiter for the app's life, not one per beat
        try:
            while not self.stopping.is_set():
                stale_after = self.stale_try_timeout if self._stale_check_due() else None
                try:
                    async with self.db.session_connection() as conn:
                        ids = [c.ti_id for s in self.schedulers.values() for c in s.claimed.values()]
                        stale = await app_queries.heartbeat(
                            conn, self.app_id, ids, stale_after, sorted(self.schedulers)
                        )
                except Exception as exc:
                    if self.heartbeat_ok:
                        log.error(
                            "Heartbeat failed (%s: %s); claiming no new tries until it succeeds",
                            type(exc).__name__, exc,
                        )  # fmt: skip
                    self.heartbeat_ok = False
                else:
                    if not self.heartbeat_ok:
                        log.warning("Heartbeat succeeds again; claiming tries")
                        self.heartbeat_ok = True
                        self.wake.set()
                    if stale:
                        await self._end_stale_tries(stale)
                busy = any(s.claimed for s in self.schedulers.values())
                await asyncio.wait([stopped], timeout=HEARTBEAT_SECONDS if busy else IDLE_HEARTBEAT_SECONDS)
        finally:
            stopped.cancel()

    async def _end_stale_tries(self, stale: Sequence[TaskInstanceRecord]) -> None:
        """Running tries of this app's DAGs whose heartbeat is older than `[scheduler]
        task_instance_heartbeat_timeout` (listed by the heartbeat) and that no process of this app runs: their process
        or app is gone, so they are retried per their retries (Airflow's heartbeat-timeout handling)."""
        ours = {c.ti_id for s in self.schedulers.values() for c in s.claimed.values()}
        try:
            for ti in stale:
                if ti.id not in ours:
                    await self._end_lost_try(
                        ti.id, ti.dag_id, ti.task_id, ti.map_index, ti.try_number, ti.max_tries, "Heartbeat timeout:"
                    )
                    self.wake.set()
        except Exception:
            log.exception(
                "Ending tries whose heartbeat timed out failed; looking again in %ss", self.stale_check_interval
            )

    async def _paused(self) -> dict[str, bool]:
        return await app_queries.paused_flags(self.db, list(self.schedulers))

    async def loop(self) -> None:
        while not self.stopping.is_set():
            self.wake.clear()
            # Pauses are notified, so a loop turn (one per task hop) need not read every DAG row again. A
            # notification that arrives during the read sets the flag again: the next turn reads once more.
            if self.pause_changed or loop_time() - self.paused_read_at > IDLE_WAKE_SECONDS:
                self.pause_changed = False
                self.paused_read_at = loop_time()
                self.paused = await self._paused()
                for scheduler in self.schedulers.values():
                    scheduler.paused_itself = False  # the flag just read includes a pause a scheduler made
            paused = self.paused
            for dag_id, scheduler in self.schedulers.items():
                if self.fenced:
                    break
                try:
                    await scheduler.tick(paused[dag_id], claim=self.heartbeat_ok)
                except app_queries.Fenced as exc:
                    self.fence(exc)
                except Exception:
                    log.exception("Scheduling %s failed; retrying on the next wake-up", dag_id)
            await self._listen_for_slots(any(s.waiting_for_slots for s in self.schedulers.values()))
            wakeups = [s.next_wakeup for s in self.schedulers.values() if s.next_wakeup is not None]
            timeout = IDLE_WAKE_SECONDS
            if wakeups:
                due_in = max((min(wakeups) - pendulum.now("UTC")).total_seconds(), 0.0)
                timeout = min(due_in, IDLE_WAKE_SECONDS)
                self.executor.expect_work_in(due_in)
            else:
                self.executor.expect_work_in(None)
            waiters = [asyncio.create_task(self.wake.wait()), asyncio.create_task(self.stopping.wait())]
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def drain(self) -> None:
        """Stop taking work, give running tries the grace period, hand the rest back, release and deregister."""
        for scheduler in self.schedulers.values():
            scheduler.accepting = False
        if self.fenced:
            # Another app may already act for these DAGs: kill our tries and write nothing more about them.
            await self.executor.stop_all(grace=0.0)
            for scheduler in self.schedulers.values():
                for task in list(scheduler.triggers):
                    task.cancel()
            return
        executor_tries = [c for s in self.schedulers.values() for c in s.claimed.values()]
        if executor_tries:
            log.info("Draining: waiting up to %ss for %d running tries", self.grace_period, len(executor_tries))
            await asyncio.wait([c.running.done for c in executor_tries], timeout=self.grace_period)
        unfinished = [c for c in executor_tries if not c.running.done.done()]
        for claimed in unfinished:
            # Handed back: the try is ended as up_for_retry with one extra try granted, so it is not a failure.
            await app_queries.grant_extra_try(self.db, claimed.ti_id)
            claimed.max_tries += 1
        if unfinished:
            await self.executor.stop_all(grace=1.0)
        # Let the result callbacks record every try before the connections close.
        for _ in range(100):
            if not any(s.claimed for s in self.schedulers.values()):
                break
            await asyncio.sleep(0.05)
        for scheduler in self.schedulers.values():
            for task in list(scheduler.triggers):
                task.cancel()
        await queries.set_app_state(self.db, self.app_id, "stopped")

    async def _record_import_errors(self, settings: Any, errors: dict[str, str]) -> None:
        """Best effort: the broker lists these as importErrors (an unreachable database must not hide the error)."""
        try:
            db = await connect(settings)
        except Exception as exc:
            log.error("Could not record the import error in the metastore: %s", exc)
            return
        try:
            await record_import_errors(db, errors)
        finally:
            await db.close()

    def prepare(self) -> DagBag | ImportFailed:
        """Imports the DAG file and forks the fork server from this process — before anything reads a secret (see
        app/fork_server.py); `riir-airflow app` calls it between hiding and loading its secrets."""
        try:
            bag = self.load()
        except ImportFailed as exc:
            return exc
        if self.fork_server is None:
            self.fork_server = ForkServer.fork_template(self.path, bag.dags, warm_app=not self.forked_from_zygote)
        return bag

    async def run(self, prepared: DagBag | ImportFailed | None = None) -> int:
        if prepared is None:
            prepared = self.prepare()
        try:
            return await self._run(prepared)
        finally:
            executor = getattr(self, "executor", None)  # it replaces a fork server that died
            if executor is not None:
                await executor.close()  # its spare task process and that one's cgroup
            server = executor.fork_server if executor is not None else self.fork_server
            if server is not None:
                server.close()

    async def _run(self, prepared: DagBag | ImportFailed) -> int:
        settings = resolve_settings()
        try:
            if isinstance(prepared, ImportFailed):
                raise prepared
            bag = prepared
        except ImportFailed as exc:
            for filename, stacktrace in exc.errors.items():
                notify_listeners("on_new_dag_import_error", filename=filename, stacktrace=stacktrace)
            await self._record_import_errors(settings, exc.errors)
            raise
        notify_listeners("on_starting", component=self)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        try:
            # The one connection an app always holds; a full server means waiting here, not dying.
            direct = session_settings(settings)
            session = await connect_waiting(
                direct, what="app's session connection (locks, LISTEN)", stopping=self.stopping
            )
        except RuntimeError:
            return 0  # stopped while waiting
        self.db = ConnectionBudget(settings, session, same_server=direct.dsn == settings.dsn)
        session.add_termination_listener(self._on_session_closed)
        assert self.fork_server is not None
        self.fork_server.attach(loop)
        # A fresh interpreter costs ~0.4 s of CPU per new fork server: an exec'd app keeps its own for a run due
        # within minutes; one from the zygote costs milliseconds.
        keep = 0.0 if self.forked_from_zygote else EXEC_TEMPLATE_KEEP_SECONDS
        self.executor = ForkExecutor(self.db, self.fork_server, self.new_template, keep_for_due_within=keep)
        self.executor.release_when_idle()  # a DAG with nothing to do soon does not keep it
        self.executor.sweep_stale_cgroups()  # of tries of apps killed before they could remove them
        # Triggers run in this process: their connection lookups reach the metastore (task processes override it).
        secrets.set_store(AppProcessSecrets(settings, connection_as_json))
        set_trigger_other_dags(AppOtherDags(self.db))  # DagStateTrigger / WorkflowTrigger read other DAGs' runs
        try:
            # Our DAGs' channels only: events of other DAGs are not delivered here (metastore/notify.py). Heard from
            # before the app registers, so that nothing sent once others can see it (a reparse request) is missed.
            self.own_dag_ids = set(bag.dags)
            async with self.db.session_connection() as conn:
                for dag_id in sorted(bag.dags):
                    await conn.add_listener(notify.dag_channel(dag_id), self._on_notification)
            versions = await self.register(bag)
            heartbeat = asyncio.create_task(self._heartbeat())
            await self.acquire_locks(sorted(bag.dags))
            if self.stopping.is_set():
                heartbeat.cancel()
                return 0
            await self.recover(sorted(bag.dags))
            for dag_id, dag in bag.dags.items():
                self.schedulers[dag_id] = DagScheduler(
                    self.db, dag, versions[dag_id], self.app_id, self.executor, self.parallelism, self.wake,
                    self.fencing_tokens[dag_id], self.fence,
                )  # fmt: skip
            self.next_stale_check = loop_time()  # the heartbeat runs the detection from now on
            log.info("App %s running %s", self.app_id, ", ".join(sorted(bag.dags)))
            await self.loop()
            await self.drain()
            heartbeat.cancel()
        finally:
            notify_listeners("before_stopping", component=self)
            self.closing = True
            await self.db.close()
            if not session.is_closed():
                await session.close()  # releases the DAG locks: a standby takes over
        return 1 if self.fenced else 0


# A try moving to scheduled, queued or running was written by an app itself (which is awake then) and never unblocks
# another task: waking on these would only cost a loop turn per step, competing with the next hop.
_PROGRESS_STATES = frozenset({"scheduled", "queued", "running"})
# A try another process moves on to `scheduled` from these (the broker, when a person answers a HITL task): this app
# must wake up for it, although `scheduled` is otherwise a state only its own loop sets.
_RESUMED_ELSEWHERE = frozenset({"awaiting_input"})


def _payload(payload: object) -> dict[str, Any]:
    try:
        note = json.loads(str(payload))
    except ValueError:
        return {}
    return note if isinstance(note, dict) else {}


def loop_time() -> float:
    return asyncio.get_running_loop().time()
