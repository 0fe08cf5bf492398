"""Scheduling one DAG over the metastore: runs from its timetable, decisions from the Rust planner, tries started.

One `tick()` creates the scheduled runs that are due, starts queued runs (max_active_runs), and for every running
run makes one planner call on a snapshot of its task instances, writes the resulting state changes
(compare-and-set), expands mapped tasks, and hands ready tries to the executor. Results coming back from task
processes are recorded here too. From a result to the next start a task hop costs three statements: the result,
the turn's read of its runs with their task instances, and the planner's moves to `scheduled` written with the
claim and start (docs/engine.md, "A task hop").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import logging
import random
import socket
import string
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import pendulum

from riir_airflow.app import stop_points
from riir_airflow.app.executor import ForkExecutor, ProcessOutcome, RunningTry
from riir_airflow.authoring import serde
from riir_airflow.engine import deadlines
from riir_airflow.engine.engine import RunEngine, group_map_index, lost_try_state
from riir_airflow.engine.messages import Claim, Deferral, TryResult
from riir_airflow.engine.metastore_store import MetastoreStore, run_view, snapshot_of
from riir_airflow.engine.vocabulary import PreviousSuccess, StatesRead
from riir_airflow.exceptions import DagRunAlreadyExists
from riir_airflow.metastore import (
    app_queries,
    asset_schedule_queries,
    cross_run_queries,
    deadline_queries,
    hitl_queries,
    queries,
)
from riir_airflow.metastore import secrets as store_secrets
from riir_airflow.metastore.connections import transient
from riir_airflow.metastore.records import (
    NewTaskInstance,
    StateChange,
    TaskInstanceKey,
    TaskInstanceRecord,
    task_in_run,
)
from riir_airflow.plugins.listener_calls import has_listeners, notify
from riir_airflow.runtime.expansion import expansion_length
from riir_airflow.runtime.triggers import first_event

log = logging.getLogger("riir_airflow.app.scheduler")
RUN_CREATION_RETRY_SECONDS = 5.0
WATCHER_RESTART_SECONDS = 1.0
RESULT_ATTEMPTS = 5  # for errors a retry is not expected to cure (transient ones are retried for as long as it takes)


def new_task_instances(dag: Any, logical_date: Any, run_type: str) -> list[NewTaskInstance]:
    """The task instances a new run of the DAG gets (`task_in_run`: none for tasks outside their dates)."""
    return [
        NewTaskInstance(
            task_id=t.task_id,
            max_tries=int(t.retries or 0),
            pool=t.pool,
            pool_slots=t.pool_slots,
            queue=t.queue,
            priority_weight=t.priority_weight_total,
            operator=t.task_type,
            custom_operator_name=getattr(t, "custom_operator_name", None),
        )
        for t in dag.tasks
        if task_in_run(t.start_date, t.end_date, logical_date, run_type)
    ]


def _next_dagrun_value(info: Any, *, can_create: bool) -> tuple[Any, ...]:
    """The dag row's (next_dagrun, next_dagrun_data_interval_start, ..._end, next_dagrun_create_after) for the
    timetable's next run `info` (None: no more runs); create_after is empty while max_active_runs is reached."""
    if info is None:
        return (None, None, None, None)
    interval = info.data_interval
    return (info.logical_date, interval.start if interval else None, interval.end if interval else None,
            info.run_after if can_create else None)  # fmt: skip


# Task instance states from which a try of this DAG may start later (a deferred one resumes in a new process).
_MAY_START_AGAIN = frozenset({None, "scheduled", "up_for_retry", "up_for_reschedule", "deferred", "awaiting_input"})


async def _notify_listeners(hook_name: str, **kwargs: Any) -> None:
    """Calls listener hooks in a worker thread (off the event loop), and only when some listener is registered: the
    thread hop is most of the cost of a call nobody hears."""
    if has_listeners():
        await asyncio.to_thread(notify, hook_name, **kwargs)


def _written_in_one_statement(result: TryResult) -> bool:
    """A task hop's usual result (a state, XComs): `record_result` writes it in one statement, with the try's last
    log lines; a deferral, a pause for input, a reschedule, a cache hit, asset events or skips take more."""
    if result.state == "deferred" and result.deferral is not None:
        return False
    if result.state == "awaiting_input" and result.awaiting_input is not None:
        return False
    reschedule = result.state == "up_for_reschedule" and result.reschedule_date is not None
    cache_hit = result.cache is not None and result.cache.hit
    asset_events = result.state == "success" and bool(result.asset_events)
    return not (reschedule or cache_hit or asset_events or result.skip_tasks)


@dataclass
class Claimed:
    """A try this app claimed and started."""

    ti_id: Any
    key: TaskInstanceKey
    try_number: int
    max_tries: int
    running: RunningTry


class DagScheduler:
    """Schedules and runs one DAG of this app."""

    def __init__(
        self,
        db: Any,
        dag: Any,
        dag_version_id: Any,
        app_id: str,
        executor: ForkExecutor,
        parallelism: int,
        wake: asyncio.Event,
        fencing_token: int,
        on_fenced: Callable[[Exception], None],
    ) -> None:
        self.db = db
        self.dag = dag
        self.dag_version_id = dag_version_id
        self.app_id = app_id
        self.executor = executor
        self.parallelism = parallelism
        self.wake = wake
        self.fencing_token = fencing_token
        self.on_fenced = on_fenced  # this app lost the DAG's lease: it must stop acting for it
        self.store = MetastoreStore(db, dag.dag_id, fencing_token)
        self.engine = RunEngine(dag, self.store, expansion_length, short_circuit_empty=True)
        self.hostname = socket.gethostname()
        self.claimed: dict[Any, Claimed] = {}
        self.next_wakeup: dt.datetime | None = None
        self.accepting = True
        self.scheduled = 0  # tries in `scheduled` after this turn's planning
        self.waiting_for_slots = False  # scheduled tries left unclaimed (a pool, or parallelism, is full)
        self.triggers: set[asyncio.Task[None]] = set()
        self.recording_results: set[asyncio.Task[None]] = set()
        self.runs: dict[str, Any] = {}  # the running runs of the current loop turn, by run_id
        self.read_states: dict[str, StatesRead] = {}  # their task instances (or those changed), read with them
        self.unflushed_results = 0  # results committed without waiting for the WAL flush, no durable commit since
        self.echoes: dict[tuple[Any, ...], float] = {}
        self.published_next: tuple[Any, ...] | None = None  # the next_dagrun_* last written to the dag row
        self.next_to_publish: tuple[Any, ...] | None = None  # ... and the value to write at the end of the loop turn
        # The timetable's next fire time as last computed: until then no interval is due, so loop turns before it
        # (one per task hop) skip reading where the timetable stands. Forgotten when a run is created elsewhere or the
        # DAG is paused or unpaused (service.py), so the next turn reads again.
        self.nothing_due_before: dt.datetime | None = None
        self.runs_waiting = False  # this turn read queued runs of the DAG
        self.created_running: list[Any] = []  # runs created running this turn (their on_dag_run_running is due)
        self.asset_references_written = False
        # Whether tries of this DAG may be parked for human input: read once at start (a previous app may have parked
        # some), then true again only when this app parks one — so a loop turn of a DAG without any reads nothing.
        self.may_have_parked = True
        # Set when max_consecutive_failed_dag_runs pauses the DAG; the app clears it when it reads the flag again.
        self.paused_itself = False
        # run_id -> its previous successful run (the prev_*_success context values), read once per run and forgotten
        # when a run of the DAG finishes (which may change the answer).
        self.previous_success: dict[str, PreviousSuccess | None] = {}
        self.deadline_alerts = deadlines.alerts_of(dag)
        self.deadlined_runs: set[str] = set()  # runs whose deadline rows exist (for DAGs with deadline alerts)

    # --- runs -----------------------------------------------------------------------------------------------------
    def publish_next_dagrun(self, info: Any, *, can_create: bool = True) -> None:
        """Remembers the timetable's next run for the dag row (`next_dagrun*`, what the API and the UI show: the
        broker has no timetable); `write_next_dagrun` writes it at the end of the loop turn — after the turn's tries
        started — and only when it changed. Like Airflow, `next_dagrun_create_after` is empty while max_active_runs
        is reached."""
        value = _next_dagrun_value(info, can_create=can_create)
        self.next_to_publish = None if value == self.published_next else value

    async def write_next_dagrun(self) -> None:
        value, self.next_to_publish = self.next_to_publish, None
        if value is None:
            return
        await queries.set_next_dagrun(self.db, self.dag.dag_id, next_dagrun=value[0], data_interval_start=value[1],
                                      data_interval_end=value[2], create_after=value[3])  # fmt: skip
        self.published_next = value

    async def create_scheduled_runs(self, now: dt.datetime, *, create: bool = True) -> None:
        """Creates every run the timetable says is due (catchup aware), respecting max_active_runs, and remembers the
        next one for the dag row. A run is created `running` when it may start at once (no ordinary run waits in
        `queued` before it), so that this loop turn starts its first tries. With `create=False` (a paused DAG) it
        only publishes the next run."""
        from riir_airflow.schedules.timetables import DataInterval, TimeRestriction

        timetable = self.dag.timetable
        if not getattr(timetable, "can_be_scheduled", False):
            return
        if create and self.nothing_due_before is not None and now < self.nothing_due_before:
            self.next_wakeup = self.nothing_due_before
            return
        self.nothing_due_before = None
        restriction = TimeRestriction(earliest=self.dag.start_date, latest=self.dag.end_date, catchup=self.dag.catchup)
        position = await app_queries.timetable_position(self.db, self.dag.dag_id)
        last = position.latest
        active = position.active  # the DAG's queued and running runs
        start_now = position.queued == 0  # else queued runs start first, in order (start_queued_runs)
        last_interval = (
            DataInterval(pendulum.instance(last.data_interval_start), pendulum.instance(last.data_interval_end))
            if last is not None and last.data_interval_start is not None and last.data_interval_end is not None
            else None
        )
        info = timetable.next_dagrun_info(last_automated_data_interval=last_interval, restriction=restriction)
        # A timetable without catchup may answer "now" (schedule=timedelta: max(now, last end + delta)), read from the
        # clock after this turn's `now`; Airflow's scheduler compares such an answer with a later clock, so it is due.
        now = max(now, pendulum.now("UTC"))
        while True:
            if info is None:
                self.next_wakeup = None
                self.publish_next_dagrun(None)
                return
            if not create:
                self.publish_next_dagrun(info)
                return
            if info.run_after > now:
                self.next_wakeup = self.nothing_due_before = info.run_after
                self.publish_next_dagrun(info)
                return
            if active >= self.dag.max_active_runs:
                self.next_wakeup = None
                self.publish_next_dagrun(info, can_create=False)
                return
            logical = info.logical_date
            when = logical or info.run_after
            run_id = f"scheduled__{when.isoformat()}"
            interval = (info.data_interval.start, info.data_interval.end) if info.data_interval else None
            # The timetable's run after this one, as the dag row shows it once this one exists: written with it.
            following = timetable.next_dagrun_info(last_automated_data_interval=info.data_interval,
                                                   restriction=restriction)  # fmt: skip
            can_create = following is None or following.run_after > now or active + 1 < self.dag.max_active_runs
            shown = _next_dagrun_value(following, can_create=can_create)
            try:
                run = await app_queries.create_run_fenced(
                    self.db, self.dag.dag_id, self.fencing_token, run_id, run_type="scheduled",
                    tasks=new_task_instances(self.dag, logical, "scheduled"),
                    state="running" if start_now else "queued", dag_version_id=self.dag_version_id,
                    triggered_by="timetable", logical_date=logical, data_interval=interval, run_after=info.run_after,
                    partition_key=info.partition_key, partition_date=info.partition_date,
                    next_dagrun=None if shown == self.published_next else shown,
                )  # fmt: skip
            except app_queries.Fenced:
                raise
            except DagRunAlreadyExists:
                # An earlier life of this app (or a replica before a takeover) created it: move on, counting the
                # active runs afresh (that run may be one of them).
                position = await app_queries.timetable_position(self.db, self.dag.dag_id)
                active, start_now = position.active, start_now and position.queued == 0
            except Exception as exc:
                # The interval is not skipped: it is tried again soon, and the failure is an error users see.
                log.error("Creating run %s of %s failed: %s; retrying", run_id, self.dag.dag_id, exc)
                await queries.record_event(
                    self.db, "error", dag_id=self.dag.dag_id, run_id=run_id, logical_date=logical,
                    extra={"error": f"Creating the scheduled run failed: {type(exc).__name__}: {exc}"},
                )  # fmt: skip
                self.next_wakeup = now + dt.timedelta(seconds=RUN_CREATION_RETRY_SECONDS)
                return
            else:
                active += 1  # the run just created counts against max_active_runs for the next interval
                self.published_next = shown
                if run.state == "running":
                    self.created_running.append(run)
            info = following

    def run_created_elsewhere(self) -> None:
        """A run of this DAG was created by someone else (a backfill, a manual or asset-triggered run): where the
        timetable stands is read again on the next loop turn. (Runs it creates itself are not announced: migration
        0019.)"""
        self.nothing_due_before = None

    # --- asset-triggered runs (metastore/asset_schedule_queries.py) -------------------------------------------------
    def _asset_condition(self) -> dict[str, Any] | None:
        condition = getattr(self.dag.timetable, "asset_condition", None)
        if condition is None or not hasattr(condition, "as_expression"):
            return None
        expression = condition.as_expression()
        return expression if isinstance(expression, dict) else None

    async def create_asset_triggered_runs(self) -> None:
        """A run once the DAG's asset condition holds over its queued assets (events from any app queue them), with
        the events since its previous asset-triggered run as its `triggering_asset_events`."""
        condition = self._asset_condition()
        if condition is None:
            return
        assets, aliases = asset_schedule_queries.condition_leaves(condition)
        if not self.asset_references_written:
            await asset_schedule_queries.set_references(self.db, self.dag.dag_id, assets, aliases)
            self.asset_references_written = True
            self._start_asset_watchers()
        queued, hit = await asset_schedule_queries.queued(self.db, self.dag.dag_id, aliases)
        if not queued or not asset_schedule_queries.condition_holds(condition, queued, hit):
            return
        async with app_queries.fenced_transaction(self.db, self.dag.dag_id, self.fencing_token) as conn:
            run_after = await conn.fetchval("SELECT now()")
            run_id = asset_schedule_queries.run_id_for(run_after, "".join(random.choices(string.ascii_letters, k=8)))
            run = await queries.create_dag_run(
                conn, self.dag.dag_id, run_id, run_type="asset_triggered",
                tasks=new_task_instances(self.dag, None, "asset_triggered"),
                run_after=run_after, state="queued", dag_version_id=self.dag_version_id, triggered_by="asset",
            )  # fmt: skip
            consumed = await asset_schedule_queries.consume_into_run(
                conn, self.dag.dag_id, run.id, run_after, assets, aliases
            )
        log.info("Created %s of %s, triggered by %d asset event(s)", run_id, self.dag.dag_id, consumed)

    def _start_asset_watchers(self) -> None:
        """AssetWatchers of the assets this DAG is scheduled on run in this app's loop: each event their trigger
        fires is an event of the asset (which queues this DAG, and any other DAG scheduled on the asset)."""
        condition = getattr(self.dag.timetable, "asset_condition", None)
        for asset in condition.iter_assets() if condition is not None else ():
            for watcher in getattr(asset, "watchers", None) or ():
                task = asyncio.get_running_loop().create_task(self._watch(asset.name, asset.uri, watcher))
                self.triggers.add(task)
                task.add_done_callback(self.triggers.discard)

    async def _watch(self, name: str, uri: str, watcher: Any) -> None:
        classpath, kwargs = watcher.trigger.serialize()
        module, _, cls_name = classpath.rpartition(".")
        trigger_cls = getattr(importlib.import_module(module), cls_name)
        while self.accepting:
            # A watcher's trigger fires, and is started again for the next event (as Airflow's triggerer does).
            try:
                async for event in trigger_cls(**kwargs).run():
                    payload = getattr(event, "payload", event)
                    await asset_schedule_queries.record_watcher_event(self.db, name, uri, serde.serialize(payload))
                    log.info("Asset watcher %s fired for asset %s", watcher.name, name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Asset watcher %s of asset %s failed; starting it again", watcher.name, name)
            await asyncio.sleep(WATCHER_RESTART_SECONDS)

    async def start_queued_runs(self, active: list[Any]) -> None:
        """Starts queued runs of `active` (the DAG's queued and running runs, as this turn read them): the DAG's
        max_active_runs limits ordinary runs; a backfill's runs follow the backfill's own max_active_runs, its pause
        flag and its order (newest first with run_backwards)."""
        queued = sorted((r for r in active if r.state == "queued"), key=lambda r: (r.run_after, r.id))
        if not queued:
            return
        backfills = await app_queries.backfills_of_dag(self.db, self.dag.dag_id)
        running_by_backfill: dict[int | None, int] = {}
        for run in active:
            if run.state == "running":
                running_by_backfill[run.backfill_id] = running_by_backfill.get(run.backfill_id, 0) + 1
        groups: dict[int | None, list[Any]] = {}
        for run in queued:
            groups.setdefault(run.backfill_id, []).append(run)
        to_start: list[Any] = []
        for backfill_id, runs in groups.items():
            if backfill_id is None:
                limit = self.dag.max_active_runs
            else:
                backfill = backfills.get(backfill_id)
                if backfill is None or backfill["is_paused"]:
                    continue
                limit = backfill["max_active_runs"]
                if backfill["run_backwards"]:
                    runs = sorted(runs, key=lambda r: r.logical_date or r.run_after, reverse=True)
            free = limit - running_by_backfill.get(backfill_id, 0)
            to_start.extend(runs[: max(free, 0)])
        for run in to_start:
            if run.run_type == "manual" and run.logical_date is not None and run.data_interval_start is None:
                await self._fill_manual_data_interval(run)
            if not await app_queries.run_has_task_instances(self.db, self.dag.dag_id, run.run_id):
                await queries.add_task_instances(
                    self.db,
                    self.dag.dag_id,
                    run.run_id,
                    new_task_instances(self.dag, run.logical_date, run.run_type),
                    dag_version_id=self.dag_version_id,
                )
            started = await queries.set_dag_run_state(
                self.db, self.dag.dag_id, run.run_id, "running", expected=["queued"]
            )
            if started is not None:  # listeners run off the event loop; the scheduler waits, as Airflow's does
                await _notify_listeners("on_dag_run_running", dag_run=started, msg="started")

    async def _fill_manual_data_interval(self, run: Any) -> None:
        """A manual run of a DAG with a custom timetable arrives without a data interval (the broker and the CLI do
        not run timetable code): ask the DAG's timetable, as Airflow's API server does at trigger time — for the
        logical date (REST API and UI), or for the trigger time (`dags trigger`, TriggerDagRunOperator)."""
        when = run.run_after if run.triggered_by in ("cli", "operator") else run.logical_date
        interval = self.dag.timetable.infer_manual_data_interval(run_after=when)
        await app_queries.fill_manual_data_interval(
            self.db, self.dag.dag_id, run.run_id, (interval.start, interval.end)
        )
        run.data_interval_start, run.data_interval_end = interval.start, interval.end

    # --- one run --------------------------------------------------------------------------------------------------
    async def schedule_runs(self, runs: list[Any], now: dt.datetime, *, paused: bool = False) -> None:
        """The engine's pass over the running runs (a paused DAG's make no try ready); a run it finished gets its
        DAG callbacks."""
        decided = await self.engine.schedule_runs(
            [(run.run_id, run.logical_date, run.start_date) for run in runs],
            now,
            self.read_states,
            start_tries=not paused,
        )
        timeout = getattr(self.dag, "dagrun_timeout", None)
        for run in runs:
            if timeout and run.start_date is not None and decided[run.run_id].run_state == "running":
                self._remember_wakeup(run.start_date + timeout)  # when its dagrun_timeout fails it
        for run_id, run_pass in decided.items():
            self.scheduled += run_pass.scheduled
            if run_pass.wakeup is not None:
                self._remember_wakeup(run_pass.wakeup)
            for task_id, map_index in run_pass.stopped:  # ended by the dagrun_timeout while they ran
                running = self.executor.running.get((self.dag.dag_id, run_id, task_id, map_index))
                if running is not None:
                    self.executor.kill(running)
            finished = self.store.finished_runs.pop(run_id, None)
            if run_pass.finished and finished is not None:
                self.previous_success.clear()  # a run that ended may be another's previous successful run
                log.info("Dag run %s of %s finished: %s", run_id, self.dag.dag_id, run_pass.run_state)
                if run_pass.timed_out:
                    reason = "timed_out"
                else:
                    reason = "success" if run_pass.run_state == "success" else "task_failure"
                self.executor.launch_dag_callbacks(self.dag, run_view(finished), reason)
                if run_pass.run_state in ("success", "failed"):  # listeners run off the loop; the scheduler waits
                    await _notify_listeners(f"on_dag_run_{run_pass.run_state}", dag_run=finished, msg=reason)
                if run_pass.run_state == "failed" and not run_pass.timed_out:
                    await self._pause_after_consecutive_failures()
                if run_pass.run_state == "success" and self.deadline_alerts:
                    await deadline_queries.prune(self.db, self.dag.dag_id, run_id)
                if self.runs_waiting or self.nothing_due_before is None:
                    self.wake.set()  # a slot opened: a queued run, or the timetable's next run, may start now

    async def check_deadlines(self, active: list[Any]) -> None:
        """Deadline alerts: each active run gets its deadlines once; those that fell fire their callback (once, the
        row claimed first); the loop wakes up when the next one falls."""
        if not self.deadline_alerts:
            return
        new = [run for run in active if run.run_id not in self.deadlined_runs]
        if new:
            have = await deadline_queries.runs_with_deadlines(self.db, self.dag.dag_id, [r.run_id for r in new])
            for run in new:
                if run.run_id not in have:
                    times = [await self._deadline_time(alert, run) for alert in self.deadline_alerts]
                    await deadline_queries.add_deadlines(self.db, self.dag.dag_id, run.run_id, times)
                self.deadlined_runs.add(run.run_id)
        for row in await deadline_queries.claim_missed(self.db, self.dag.dag_id):
            run = await queries.get_dag_run(self.db, self.dag.dag_id, row["run_id"])
            if run is None or row["alert_index"] >= len(self.deadline_alerts):
                continue  # the run is gone, or a new version of the DAG has fewer alerts
            alert = self.deadline_alerts[row["alert_index"]]
            log.info("Deadline of run %s of %s missed at %s", run.run_id, self.dag.dag_id, row["deadline_time"])
            context = deadlines.callback_context(run, row["id"], row["deadline_time"])
            self.executor.launch_deadline_callback(alert.callback, context)
        following = await deadline_queries.next_deadline(self.db, self.dag.dag_id)
        if following is not None:
            self._remember_wakeup(following)
        if len(self.deadlined_runs) > 10_000:  # finished runs need no entry: forget all, the table remembers
            self.deadlined_runs.clear()

    async def _deadline_time(self, alert: Any, run: Any) -> dt.datetime | None:
        """The alert's deadline for the run; one that cannot be evaluated is an error users see, and sets none."""

        async def variable(key: str) -> str | None:
            value = await store_secrets.get_variable(self.db, key)
            return None if value is None else str(value)

        async def durations(limit: int) -> list[float]:
            return await deadline_queries.recent_durations(self.db, self.dag.dag_id, limit)

        try:
            return await deadlines.deadline_time(
                alert,
                deadlines.RunTimes(run.logical_date, run.queued_at, self.dag.dag_id, run.run_id),
                variable=variable,
                durations=durations,
            )
        except Exception as exc:
            log.error("Deadline alert of run %s of %s: %s", run.run_id, self.dag.dag_id, exc)
            await queries.record_event(
                self.db, "error", dag_id=self.dag.dag_id, run_id=run.run_id,
                extra={"error": f"Deadline alert not evaluated: {type(exc).__name__}: {exc}"},
            )  # fmt: skip
            return None

    async def _pause_after_consecutive_failures(self) -> None:
        """Airflow's max_consecutive_failed_dag_runs: when the DAG's latest N runs (by run_after) all failed, the DAG
        is paused, with a `paused` event by the scheduler."""
        limit = int(getattr(self.dag, "max_consecutive_failed_dag_runs", 0) or 0)
        if limit <= 0:
            return
        states = await cross_run_queries.latest_run_states(self.db, self.dag.dag_id, limit)
        if len(states) < limit or any(state != "failed" for state in states):
            return
        log.info("Pausing DAG %s because last %s DAG runs failed.", self.dag.dag_id, limit)
        self.paused_itself = True  # from now on, before the app reads the flag again: no run is created or started
        async with queries.transaction(self.db) as conn:  # the pause and its event: both or neither
            await queries.set_dag_paused(conn, self.dag.dag_id, True)
            await queries.record_event(
                conn, "paused", dag_id=self.dag.dag_id, owner="scheduler",
                extra=f"[('dag_id', '{self.dag.dag_id}'), ('is_paused', True)]",
            )  # fmt: skip

    def _remember_wakeup(self, when: dt.datetime) -> None:
        if self.next_wakeup is None or when < self.next_wakeup:
            self.next_wakeup = when

    # --- starting tries -------------------------------------------------------------------------------------------
    async def dispatch(self, *, claim: bool = True) -> None:
        """Writes the planner's deferred moves to `scheduled`, and with `claim` claims and starts what fits (this
        app's parallelism, pools), in one statement; then forks the started tries."""
        changes = self.store.take_deferred()
        free = self.parallelism - len(self.executor.running)
        limit = free if claim and self.accepting and self.scheduled > 0 else 0
        self.waiting_for_slots = self.scheduled > 0
        if not changes and limit <= 0:
            return
        # The start's commit is durable (a try's process is forked only after it); WAL is flushed in order, so it
        # makes the planner's changes, and the results recorded before it, durable too. Held open as a transaction
        # only at a test's stop point.
        results = self.unflushed_results
        async with self._unit("claim") as conn:
            started = await app_queries.schedule_and_start(
                conn, self.dag.dag_id, self.fencing_token, changes, app_id=self.app_id, hostname=self.hostname,
                limit=limit,
            )  # fmt: skip
            if started:
                stop_points.reached("claim")
        if started:
            self.unflushed_results -= results
        self.waiting_for_slots = len(started) < self.scheduled
        # A spare task process (executor.py) pays off only when another try may start soon: not for the last task of
        # a run (a one-task DAG's tick would fork one for nothing, and retire it unused).
        # The engine's kept planner state counts every run's task instances by state (a turn's read may hold only
        # the changed rows); each try started now is still counted there as not yet started.
        more_to_come = bool(started) and (
            self.waiting_for_slots
            or sum(known.plan.count(_MAY_START_AGAIN) for known in self.engine.known_runs.values()) > len(started)
        )
        launched: list[tuple[uuid.UUID, int, int]] = []
        if started:
            await self.executor.template_ready()  # closed while the app was idle: made again (app/executor.py)
        try:
            await self._launch(started, more_to_come, launched)
        finally:
            # The pids of this dispatch's tries in one statement, also those forked before a launch failed.
            await app_queries.set_task_pids(self.db, launched)

    async def _launch(
        self, started: list[TaskInstanceRecord], more_to_come: bool, launched: list[tuple[uuid.UUID, int, int]]
    ) -> None:
        """Forks the tries `started`; (ti id, try number, pid) of each is added to `launched`."""
        for ti in started:
            stop_points.reached("start")
            # The run as this turn read it (saves a round trip before the fork), else fresh from the table.
            run = self.runs.get(ti.run_id) or await queries.get_dag_run(self.db, ti.dag_id, ti.run_id)
            if run is None:
                continue  # deleted since: its try went with it
            self.runs[ti.run_id] = run
            task = self.dag.task_dict[ti.task_id]
            key = TaskInstanceKey(ti.dag_id, ti.run_id, ti.task_id, ti.map_index)
            claim_record = Claim(
                task_id=ti.task_id,
                map_index=ti.map_index,
                try_number=ti.try_number,
                max_tries=ti.max_tries,
                next_method=ti.next_method,
                next_kwargs=ti.next_kwargs,
                group_map_index=group_map_index(task, ti.map_index),
                previous_success=await self._previous_success(run),
                **await self._reschedule_fields(task, ti.id),
            )
            timeout = task.execution_timeout.total_seconds() if task.execution_timeout else None
            running = self.executor.launch(self.dag, claim_record, run_view(run), key, timeout, spare=more_to_come)
            launched.append((ti.id, ti.try_number, running.pid))
            entry = Claimed(ti.id, key, ti.try_number, ti.max_tries, running)
            self.claimed[ti.id] = entry
            running.done.add_done_callback(self._on_done(entry))

    async def _flush_results(self) -> None:
        """Results recorded without waiting for the WAL flush that no start followed (the last task of a branch or
        a run, a full pool): one durable commit makes them durable (WAL is flushed in order). It re-checks the lease,
        whose row lock is a WAL-logged write, so the commit waits for the flush."""
        results = self.unflushed_results
        if results:
            await app_queries.check_lease(self.db, self.dag.dag_id, self.fencing_token)
            self.unflushed_results -= results

    def _unit(self, point: str) -> AbstractAsyncContextManager[Any]:
        """A connection for one statement of a task hop (atomic on its own), or a transaction around it while a test
        stops the app at `point` (stop_points: the app then hangs inside it, its locks held)."""
        return queries.transaction(self.db) if stop_points.armed(point) else self.db.acquire()

    async def _previous_success(self, run: Any) -> PreviousSuccess | None:
        if run.logical_date is None:
            return None
        if run.run_id not in self.previous_success:
            found = await cross_run_queries.previous_successful_run(self.db, self.dag.dag_id, run.logical_date)
            self.previous_success[run.run_id] = (
                None
                if found is None
                else PreviousSuccess(
                    found["data_interval_start"], found["data_interval_end"], found["start_date"], found["end_date"]
                )
            )
        return self.previous_success[run.run_id]

    async def _reschedule_fields(self, task: Any, ti_id: Any) -> dict[str, Any]:
        """A reschedule-mode sensor's count and first poke (read only for such sensors: no cost on other hops)."""
        if getattr(task, "mode", None) != "reschedule":
            return {}
        count, first = await app_queries.reschedule_history(self.db, ti_id)
        return {"reschedule_count": count, "first_reschedule_date": first}

    # --- results --------------------------------------------------------------------------------------------------
    def _on_done(self, entry: Claimed) -> Any:
        def callback(_future: Any) -> None:
            # Held until done (the loop keeps only weak references): a dropped one would lose the try's result.
            recording = asyncio.get_running_loop().create_task(self._finished(entry))
            self.recording_results.add(recording)
            recording.add_done_callback(self.recording_results.discard)

        return callback

    async def _finished(self, entry: Claimed) -> None:
        """Records a try's result, retrying while the database is unreachable or the write meets a transient
        error: a try is never left running with its XComs lost because one write failed."""
        outcome = entry.running.done.result()
        delay = 0.1
        attempts = 0
        try:
            while True:
                try:
                    await self.record_result(entry, outcome)
                    return
                except app_queries.Fenced as exc:
                    self.on_fenced(exc)  # the new holder recovers this try (retried per its retries)
                    try:
                        await self._write_log_tail(entry, outcome)  # its output stays in its log all the same
                    except Exception:
                        log.exception("Could not write the last log lines of %s", entry.key)
                    return
                except Exception as exc:
                    attempts += 1
                    if not transient(exc) and attempts >= RESULT_ATTEMPTS:
                        log.exception(
                            "Could not record the result of %s after %d attempts; the try stays running until "
                            "stale-try detection retries it",
                            entry.key,
                            attempts,
                        )
                        return
                    log.warning(
                        "Recording the result of %s failed (%s: %s); retrying in %.1fs",
                        entry.key, type(exc).__name__, exc, delay,
                    )  # fmt: skip
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
        finally:
            self.claimed.pop(entry.ti_id, None)
            self.wake.set()

    async def _write_log_tail(self, entry: Claimed, outcome: ProcessOutcome) -> None:
        """The try's last output lines on their own, before what follows them in its log."""
        if outcome.log_tail:
            await queries.append_task_log(self.db, entry.key, entry.try_number, outcome.log_tail, durable=False)
            outcome.log_tail = []  # written: a retried record_result must not write them again

    async def record_result(self, entry: Claimed, outcome: ProcessOutcome) -> None:
        result = outcome.result
        key = entry.key
        one_statement = result is not None and _written_in_one_statement(result)
        if not one_statement or (result is not None and result.error):
            await self._write_log_tail(entry, outcome)  # else the result's statement writes them
        if result is None:
            # The process died without reporting (os._exit, a signal, out of memory): a failure of this try.
            reason = outcome.killed or f"exit code {outcome.exit_code}"
            await queries.append_task_log(
                self.db, key, entry.try_number, [f"Task process ended without a result ({reason})"], stream="stderr"
            )
            state = lost_try_state(entry.try_number, entry.max_tries)
            self._expect_echo(key, entry.try_number, state)
            await queries.record_task_result(self.db, entry.ti_id, entry.try_number, state)
            return
        if result.error:
            await queries.append_task_log(self.db, key, entry.try_number, [result.error], stream="stderr")
        if result.state == "deferred" and result.deferral is not None:
            await queries.record_task_result(
                self.db, entry.ti_id, entry.try_number, "deferred", xcoms=result.xcoms,
                rendered_fields=result.rendered_fields, next_method=result.deferral.method_name,
                next_kwargs=result.deferral.next_kwargs,
            )  # fmt: skip
            self._start_trigger(entry, result.deferral)
            return
        if result.state == "awaiting_input" and result.awaiting_input is not None:
            await self._park_for_input(entry, result)
            return
        self._expect_echo(key, entry.try_number, result.state)
        reschedule = result.state == "up_for_reschedule" and result.reschedule_date is not None
        cache_hit = result.cache is not None and result.cache.hit
        asset_events = list(result.asset_events) if result.state == "success" else None
        cache_note = None if result.cache is None else (result.cache.hit, result.cache.note)

        async def record(conn: Any, durable: bool = True) -> Any:
            with app_queries.fenced_errors():  # written only while this app holds the DAG's lease
                return await queries.record_task_result(
                    conn, entry.ti_id, entry.try_number, result.state, xcoms=result.xcoms,
                    rendered_fields=result.rendered_fields, rendered_map_index=result.rendered_map_index,
                    asset_events=asset_events, cache_note=cache_note, lease=(key.dag_id, self.fencing_token),
                    durable=durable, log=(key, outcome.log_tail),
                )  # fmt: skip

        if one_statement:
            # A task hop's usual result (state, XComs, the try's last log lines): one statement, committed without
            # waiting for the WAL flush; the start of the next try, or else _flush_results at the end of the loop turn
            # it wakes, commits durably after it, and WAL is flushed in order.
            async with self._unit("result") as conn:
                if await record(conn, durable=False) is not None:
                    self.unflushed_results += 1
                    stop_points.reached("result")
            return
        # The result, its XComs, a sensor's reschedule and the skips it asks for: one transaction, so a retried
        # write finds either all of it done (and stops) or none of it.
        async with queries.transaction(self.db) as conn:
            recorded = await record(conn)
            if recorded is None:
                return  # recorded by an earlier attempt, or cleared or marked by someone else: that stands
            if cache_hit:
                await app_queries.record_cache_hit(conn, key, entry.try_number, result.cache)
            stop_points.reached("result")
            if reschedule and result.reschedule_date is not None:
                await app_queries.record_reschedule(
                    conn, entry.ti_id, key.dag_id, recorded.start_date or pendulum.now("UTC"), result.reschedule_date
                )
                stop_points.reached("reschedule")
            skips = [StateChange(t, "skipped", (None, "scheduled"), i) for t, i in result.skip_tasks]
            if skips:
                await queries.set_task_states(conn, key.dag_id, key.run_id, skips)

    async def _park_for_input(self, entry: Claimed, result: TryResult) -> None:
        """A human-in-the-loop try waits in `awaiting_input` until the API (or its deadline) resumes it."""
        awaiting = result.awaiting_input
        assert awaiting is not None
        self.may_have_parked = True
        key = entry.key
        async with app_queries.fenced_transaction(self.db, key.dag_id, self.fencing_token) as conn:
            recorded = await queries.record_task_result(
                conn, entry.ti_id, entry.try_number, "awaiting_input", xcoms=result.xcoms,
                rendered_fields=result.rendered_fields, next_method=awaiting.method_name,
                next_kwargs=awaiting.next_kwargs,
            )  # fmt: skip
        if recorded is None:
            return
        delta = dt.timedelta(seconds=awaiting.timeout) if awaiting.timeout is not None else None
        if await hitl_queries.park(self.db, entry.ti_id, entry.try_number, delta):
            self.wake.set()  # answered while it was still running: resumed at once
        elif delta is not None:
            self._remember_wakeup(pendulum.now("UTC") + delta)

    # The NOTIFY that echoes a result this app records itself needs no loop turn: `_finished` wakes the loop once
    # the result is in. An echo is (task, try, state), used once; a change by anyone else to another state, or to
    # the same state before ours (then ours fails its compare-and-set), is still seen in that turn.
    def _expect_echo(self, key: TaskInstanceKey, try_number: int, state: str) -> None:
        now = time.monotonic()
        if len(self.echoes) > 1000:  # notifications lost with a dropped connection must not pile up
            self.echoes = {k: t for k, t in self.echoes.items() if now - t < 60}
        self.echoes[(key.run_id, key.task_id, key.map_index, try_number, state)] = now

    def is_echo(self, note: dict[str, Any]) -> bool:
        """True (once) when a task-state notification reports a result this app recorded itself."""
        echo = tuple(note.get(k) for k in ("run_id", "task_id", "map_index", "try_number", "state"))
        return self.echoes.pop(echo, None) is not None

    def _start_trigger(self, entry: Claimed, deferral: Deferral) -> None:
        """The in-process triggerer: runs the trigger coroutine on the app's loop, then resumes the task."""

        async def watch() -> None:
            import importlib

            module, _, name = deferral.classpath.rpartition(".")
            trigger_cls = getattr(importlib.import_module(module), name)
            trigger = trigger_cls(**serde.deserialize(deferral.kwargs))
            try:
                event = await first_event(trigger, deferral.timeout)
            except TimeoutError:
                await queries.record_task_result(
                    self.db, entry.ti_id, entry.try_number, "failed", expected=("deferred",)
                )
                return
            next_kwargs = {**serde.deserialize(deferral.next_kwargs), "event": getattr(event, "payload", event)}
            await app_queries.resume_deferred(self.db, entry.ti_id, entry.try_number, serde.serialize(next_kwargs))
            self.wake.set()

        task = asyncio.get_running_loop().create_task(watch())
        self.triggers.add(task)
        task.add_done_callback(self.triggers.discard)

    # --- the loop turn --------------------------------------------------------------------------------------------
    async def _active_runs(self) -> list[Any]:
        """The DAG's queued and running runs; the running ones' task instances go to the engine with them."""
        runs = []
        self.read_states = {}
        # Per running run, what the engine's planner state last read: only the task instances changed since come.
        since = {r: known.cursor for r, known in self.engine.known_runs.items() if known.cursor is not None}
        for active in await app_queries.active_runs_with_states(self.db, self.dag.dag_id, since, self.previous_success):
            run = active.run
            runs.append(run)
            if active.states is not None:
                states = active.states
                self.read_states[run.run_id] = StatesRead(
                    snapshot_of(states.rows), states.cursor, states.since, states.total
                )
            if active.previous_read:  # read with it (the first time it is seen running): no statement at its start
                found = active.previous
                self.previous_success[run.run_id] = (
                    None
                    if found is None
                    else PreviousSuccess(
                        found["data_interval_start"], found["data_interval_end"], found["start_date"],
                        found["end_date"],
                    )
                )  # fmt: skip
        return runs

    async def tick(self, paused: bool, *, claim: bool = True) -> None:
        paused = paused or self.paused_itself
        now = pendulum.now("UTC")
        self.next_wakeup = None
        self.store.take_deferred()  # left by a turn that failed half-way: planned again below
        if not paused and self.accepting:
            await self.create_scheduled_runs(now)
            await self.create_asset_triggered_runs()
        elif paused and self.published_next is None:
            await self.create_scheduled_runs(now, create=False)  # a paused DAG still shows its next run
        created_running, self.created_running = self.created_running, []
        for run in created_running:  # listeners run off the event loop; the scheduler waits, as Airflow's does
            await _notify_listeners("on_dag_run_running", dag_run=run, msg="started")
        # One read of the active runs (with their task instances) per turn; the queued-run start (more reads) only
        # when it can start one.
        active = await self._active_runs()
        running = [r for r in active if r.state == "running"]
        if not paused and self.accepting and len(running) < len(active):
            await self.start_queued_runs(active)
            running = [r for r in await self._active_runs() if r.state == "running"]
        self.runs = {run.run_id: run for run in running}
        self.scheduled = 0
        # Human-in-the-loop tries whose response deadline passed are resumed with defaults or a timeout error (one
        # read per turn; the resolving transaction only when a deadline has passed).
        if self.may_have_parked:
            parked, deadline = await hitl_queries.parked_tries(self.db, self.dag.dag_id)
            if deadline is not None and deadline <= now:
                await hitl_queries.resolve_timeouts(self.db, self.dag.dag_id)
                parked, deadline = await hitl_queries.parked_tries(self.db, self.dag.dag_id)
                self.read_states = {}  # moved by the resolution: read again
            self.may_have_parked = parked
            if deadline is not None:
                self._remember_wakeup(deadline)
        await self.check_deadlines(active)
        self.runs_waiting = len(running) < len(active)  # queued runs (max_active_runs, a backfill's order)
        results = self.unflushed_results
        await self.schedule_runs(running, now, paused=paused)
        if self.store.finished_durably:
            # A run ended with a durable commit: WAL is flushed in order, so the results recorded before it are
            # durable too (_flush_results has nothing left to do for them).
            self.store.finished_durably = False
            self.unflushed_results -= results
        paused = paused or self.paused_itself  # max_consecutive_failed_dag_runs may have paused it just now
        # As Airflow's scheduler, which queues no task instance of a paused DAG (`~DagModel.is_paused` in its
        # query): tries already running finish, and the runs still end when their last try does, but nothing new
        # starts until the DAG is unpaused (its wake-up notification brings this loop back).
        await self.dispatch(claim=self.accepting and claim and not paused)
        await self.write_next_dagrun()  # after the starts: nothing waits for it
        await self._flush_results()
