"""Scheduling one DAG over the metastore: runs from its timetable, decisions from the Rust planner, tries started.

One `tick()` creates the scheduled runs that are due, starts queued runs (max_active_runs), and for every running
run makes one planner call on a snapshot of its task instances, writes the resulting state changes
(compare-and-set), expands mapped tasks, and hands ready tries to the executor. Results coming back from task
processes are recorded here too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any

import pendulum

from riir_airflow.app.executor import ForkExecutor, RunningTry, TryResult
from riir_airflow.metastore import app_queries, queries
from riir_airflow.metastore.records import NewTaskInstance, StateChange, TaskInstanceKey
from riir_airflow.plugins.listeners import notify
from riir_airflow.runtime import serde
from riir_airflow.runtime.engine import expansion_length, mapped_groups_of, needs_expansion, planner_for
from riir_airflow.runtime.records import DagRunRecord as RunView
from riir_airflow.runtime.records import InMemoryRunStore
from riir_airflow.runtime.records import TaskInstanceRecord as TiView
from riir_airflow.runtime.task_runner import next_retry_datetime
from riir_airflow.runtime.triggers import first_event

log = logging.getLogger("riir_airflow.app.scheduler")
FINISHED = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})


def run_view(run: Any) -> RunView:
    """The runtime's view of a metastore run row."""
    return RunView(
        dag_id=run.dag_id,
        run_id=run.run_id,
        run_type=run.run_type,
        logical_date=pendulum.instance(run.logical_date) if run.logical_date else None,
        data_interval_start=pendulum.instance(run.data_interval_start) if run.data_interval_start else None,
        data_interval_end=pendulum.instance(run.data_interval_end) if run.data_interval_end else None,
        run_after=pendulum.instance(run.run_after),
        conf=dict(run.conf or {}),
        state=run.state,
        start_date=run.start_date,
        triggered_by=run.triggered_by or "",
    )


def new_task_instances(dag: Any) -> list[NewTaskInstance]:
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
    ]


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
    ) -> None:
        self.db = db
        self.dag = dag
        self.dag_version_id = dag_version_id
        self.app_id = app_id
        self.executor = executor
        self.parallelism = parallelism
        self.wake = wake
        self.planner = planner_for(dag)
        self.hostname = socket.gethostname()
        self.claimed: dict[Any, Claimed] = {}
        self.reschedule_at: dict[Any, dt.datetime] = {}
        self.next_wakeup: dt.datetime | None = None
        self.accepting = True
        self.triggers: set[asyncio.Task[None]] = set()
        self.runs: dict[str, Any] = {}  # the running runs of the current loop turn, by run_id
        self.echoes: dict[tuple[Any, ...], float] = {}

    # --- runs -----------------------------------------------------------------------------------------------------
    async def create_scheduled_runs(self, now: dt.datetime) -> None:
        """Creates every run the timetable says is due (catchup aware), respecting max_active_runs."""
        from riir_airflow._internal.timetables import DataInterval, TimeRestriction

        timetable = self.dag.timetable
        if not getattr(timetable, "can_be_scheduled", False):
            return
        restriction = TimeRestriction(earliest=self.dag.start_date, latest=self.dag.end_date, catchup=self.dag.catchup)
        latest = await queries.list_dag_runs(
            self.db, dag_id=self.dag.dag_id, run_types=["scheduled", "backfill"], order_by="-run_after", limit=1
        )
        last = latest.items[0] if latest.items else None
        last_interval = (
            DataInterval(pendulum.instance(last.data_interval_start), pendulum.instance(last.data_interval_end))
            if last is not None and last.data_interval_start is not None and last.data_interval_end is not None
            else None
        )
        while True:
            info = timetable.next_dagrun_info(last_automated_data_interval=last_interval, restriction=restriction)
            if info is None:
                self.next_wakeup = None
                return
            if info.run_after > now:
                self.next_wakeup = info.run_after
                return
            active = await queries.list_dag_runs(self.db, dag_id=self.dag.dag_id, states=["queued", "running"], limit=1)
            if active.total_entries >= self.dag.max_active_runs:
                self.next_wakeup = None
                return
            logical = info.logical_date
            when = logical or info.run_after
            run_id = f"scheduled__{when.isoformat()}"
            interval = (info.data_interval.start, info.data_interval.end) if info.data_interval else None
            try:
                await queries.create_dag_run(
                    self.db, self.dag.dag_id, run_id, run_type="scheduled", tasks=new_task_instances(self.dag),
                    logical_date=logical, data_interval=interval, run_after=info.run_after, state="queued",
                    dag_version_id=self.dag_version_id, triggered_by="timetable",
                )  # fmt: skip
            except Exception as exc:
                # Another replica (or an earlier life of this app) created it: move on.
                log.info("run %s of %s not created: %s", run_id, self.dag.dag_id, exc)
            last_interval = info.data_interval

    async def start_queued_runs(self) -> None:
        """Starts queued runs: the DAG's max_active_runs limits ordinary runs; a backfill's runs follow the
        backfill's own max_active_runs, its pause flag and its order (newest first with run_backwards)."""
        active = await queries.list_dag_runs(self.db, dag_id=self.dag.dag_id, states=["running"], limit=100_000)
        queued = await queries.list_dag_runs(
            self.db, dag_id=self.dag.dag_id, states=["queued"], order_by="run_after", limit=100_000
        )
        if not queued.items:
            return
        backfills = await app_queries.backfills_of_dag(self.db, self.dag.dag_id)
        running_by_backfill: dict[int | None, int] = {}
        for run in active.items:
            running_by_backfill[run.backfill_id] = running_by_backfill.get(run.backfill_id, 0) + 1
        groups: dict[int | None, list[Any]] = {}
        for run in queued.items:
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
            tis = await queries.list_task_instances(self.db, dag_id=self.dag.dag_id, run_id=run.run_id, limit=1)
            if tis.total_entries == 0:
                await queries.add_task_instances(
                    self.db,
                    self.dag.dag_id,
                    run.run_id,
                    new_task_instances(self.dag),
                    dag_version_id=self.dag_version_id,
                )
            started = await queries.set_dag_run_state(
                self.db, self.dag.dag_id, run.run_id, "running", expected=["queued"]
            )
            if started is not None:  # listeners run off the event loop; the scheduler waits, as Airflow's does
                await asyncio.to_thread(notify, "on_dag_run_running", dag_run=started, msg="started")

    # --- one run --------------------------------------------------------------------------------------------------
    async def _xcom_store(self, run: Any) -> InMemoryRunStore:
        """The return values mapped tasks expand over, for computing their lengths."""
        store = InMemoryRunStore(run_view(run))
        page = await queries.list_xcoms(self.db, dag_id=self.dag.dag_id, run_id=run.run_id, limit=100_000)
        for x in page.items:
            store.xcoms[(x.task_id, x.map_index, x.key)] = json.dumps(x.value)
        return store

    async def schedule_run(self, run: Any, now: dt.datetime) -> bool:
        """One planning pass over a running run; True when it changed something (plan again)."""
        states = await app_queries.task_states_of_run(self.db, self.dag.dag_id, run.run_id)
        rows = {(ti.task_id, ti.map_index): ti for ti in states}
        plan = self.planner.plan([(t, i, ti.state) for (t, i), ti in rows.items()])
        changes: list[StateChange] = []
        for (task_id, map_index), new in (
            *((k, "skipped") for k in plan["to_skip"]),
            *((k, "upstream_failed") for k in plan["to_upstream_failed"]),
            *((k, "removed") for k in plan["to_remove"]),
        ):
            changes.append(StateChange(task_id, new, (rows[(task_id, map_index)].state,), map_index))
        expanded = False
        for task_id, map_index in plan["to_run"]:
            ti = rows[(task_id, map_index)]
            task = self.dag.task_dict[task_id]
            if map_index == -1 and needs_expansion(task):
                store = await self._xcom_store(run)
                try:
                    length = expansion_length(task, TiView(task_id, -1), store)
                except Exception:
                    log.exception("Failed to expand %s.%s", self.dag.dag_id, task_id)
                    changes.append(StateChange(task_id, "failed", (None,), -1))
                    continue
                expanded |= await app_queries.expand_task_instance(
                    self.db, self.dag.dag_id, run.run_id, task_id, length, max_tries=int(task.retries or 0),
                    pool=task.pool, pool_slots=task.pool_slots, queue=task.queue,
                    priority_weight=task.priority_weight_total, operator=task.task_type,
                    custom_operator_name=getattr(task, "custom_operator_name", None),
                )  # fmt: skip
                continue
            if ti.state == "up_for_retry" and ti.end_date is not None:
                due = next_retry_datetime(task, self.dag.dag_id, run.logical_date, ti.try_number, ti.end_date)
                if due > now:
                    self._remember_wakeup(due)
                    continue
            if ti.state == "up_for_reschedule":
                rescheduled = self.reschedule_at.get(ti.id)
                if rescheduled is not None and rescheduled > now:
                    self._remember_wakeup(rescheduled)
                    continue
            if ti.state in (None, "up_for_retry", "up_for_reschedule"):
                changes.append(StateChange(task_id, "scheduled", (ti.state,), map_index))
        changed = await queries.set_task_states(self.db, self.dag.dag_id, run.run_id, changes)
        state = str(plan["run_state"])
        if state != "running" and not changes and not expanded:
            finished = await queries.set_dag_run_state(
                self.db, self.dag.dag_id, run.run_id, state, expected=["running"]
            )
            if finished is not None:
                log.info("Dag run %s of %s finished: %s", run.run_id, self.dag.dag_id, state)
                self.executor.launch_dag_callbacks(self.dag, run_view(finished))
                if state in ("success", "failed"):
                    msg = "success" if state == "success" else "task_failure"
                    await asyncio.to_thread(notify, f"on_dag_run_{state}", dag_run=finished, msg=msg)
                self.wake.set()  # a slot opened: a queued run may start now
            return False
        # Only a task that ended (skipped, upstream_failed, removed, failed) can unblock or doom others: moving a
        # task to `scheduled` cannot, so another pass (re-reading every task instance) would find nothing new.
        new_states = {(c.task_id, c.map_index): c.new_state for c in changes}
        return expanded or any(new_states[(k.task_id, k.map_index)] != "scheduled" for k in changed)

    def _remember_wakeup(self, when: dt.datetime) -> None:
        if self.next_wakeup is None or when < self.next_wakeup:
            self.next_wakeup = when

    # --- starting tries -------------------------------------------------------------------------------------------
    async def dispatch(self) -> None:
        free = self.parallelism - len(self.executor.running)
        if free <= 0 or not self.accepting:
            return
        claimed = await queries.claim_ready_tries(
            self.db, app_id=self.app_id, hostname=self.hostname, limit=free, dag_ids=[self.dag.dag_id]
        )
        runs: dict[str, Any] = {}
        for ti in claimed:
            started = await queries.start_try(self.db, ti.id, ti.try_number, pid=0, hostname=self.hostname)
            if started is None:
                continue
            if ti.run_id not in runs:
                # The run as this turn read it (saves a round trip before the fork), else fresh from the table.
                runs[ti.run_id] = self.runs.get(ti.run_id) or await queries.get_dag_run(self.db, ti.dag_id, ti.run_id)
            run = runs[ti.run_id]
            task = self.dag.task_dict[ti.task_id]
            key = TaskInstanceKey(ti.dag_id, ti.run_id, ti.task_id, ti.map_index)
            claim = {
                "task_id": ti.task_id,
                "map_index": ti.map_index,
                "try_number": started.try_number,
                "max_tries": started.max_tries,
                "next_method": started.next_method,
                "next_kwargs": started.next_kwargs,
                "group_map_index": ti.map_index if mapped_groups_of(task) and ti.map_index >= 0 else None,
            }
            timeout = task.execution_timeout.total_seconds() if task.execution_timeout else None
            running = self.executor.launch(self.dag, claim, run_view(run), key, timeout)
            await app_queries.set_task_pid(self.db, ti.id, started.try_number, running.pid)
            entry = Claimed(ti.id, key, started.try_number, started.max_tries, running)
            self.claimed[ti.id] = entry
            running.done.add_done_callback(self._on_done(entry))

    # --- results --------------------------------------------------------------------------------------------------
    def _on_done(self, entry: Claimed) -> Any:
        def callback(_future: Any) -> None:
            asyncio.get_running_loop().create_task(self._finished(entry))

        return callback

    async def _finished(self, entry: Claimed) -> None:
        try:
            await self.record_result(entry, entry.running.done.result())
        except Exception:
            log.exception("Could not record the result of %s", entry.key)
        finally:
            self.claimed.pop(entry.ti_id, None)
            self.wake.set()

    async def record_result(self, entry: Claimed, result: TryResult) -> None:
        message = result.message
        key = entry.key
        if message is None:
            # The process died without reporting (os._exit, a signal, out of memory): a failure of this try.
            reason = result.killed or f"exit code {result.exit_code}"
            await queries.append_task_log(
                self.db, key, entry.try_number, [f"Task process ended without a result ({reason})"], stream="stderr"
            )
            state = "up_for_retry" if entry.try_number <= entry.max_tries else "failed"
            self._expect_echo(key, entry.try_number, state)
            await queries.record_task_result(self.db, entry.ti_id, entry.try_number, state)
            return
        state = message["state"]
        if message.get("error"):
            await queries.append_task_log(self.db, key, entry.try_number, [str(message["error"])], stream="stderr")
        deferral = message.get("deferral")
        if state == "deferred" and deferral:
            await queries.record_task_result(
                self.db, entry.ti_id, entry.try_number, "deferred", xcoms=message.get("xcoms"),
                rendered_fields=message.get("rendered_fields"), next_method=deferral["method_name"],
                next_kwargs=deferral["next_kwargs"],
            )  # fmt: skip
            self._start_trigger(entry, deferral)
            return
        self._expect_echo(key, entry.try_number, state)
        recorded = await queries.record_task_result(
            self.db, entry.ti_id, entry.try_number, state, xcoms=message.get("xcoms"),
            rendered_fields=message.get("rendered_fields"), rendered_map_index=message.get("rendered_map_index"),
        )  # fmt: skip
        if recorded is None:
            return  # cleared or marked by someone else meanwhile: their decision stands
        if state == "up_for_reschedule" and message.get("reschedule_date"):
            when = pendulum.parse(message["reschedule_date"])
            if isinstance(when, dt.datetime):
                self.reschedule_at[entry.ti_id] = when
        skips = [StateChange(t, "skipped", (None, "scheduled"), int(i)) for t, i in message.get("skip_tasks", [])]
        if skips:
            await queries.set_task_states(self.db, key.dag_id, key.run_id, skips)
        trigger = message.get("trigger")
        if trigger:
            await self._trigger_dag_run(trigger)

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

    async def _trigger_dag_run(self, trigger: dict[str, Any]) -> None:
        logical = serde.deserialize(trigger.get("logical_date"))
        try:
            await queries.create_dag_run(
                self.db, trigger["trigger_dag_id"], trigger["dag_run_id"], run_type="manual", logical_date=logical,
                run_after=logical or pendulum.now("UTC"), conf=trigger.get("conf") or {}, state="queued",
                triggered_by="operator",
            )  # fmt: skip
        except Exception as exc:
            log.warning("TriggerDagRunOperator could not create %s: %s", trigger.get("dag_run_id"), exc)

    def _start_trigger(self, entry: Claimed, deferral: dict[str, Any]) -> None:
        """The in-process triggerer: runs the trigger coroutine on the app's loop, then resumes the task."""

        async def watch() -> None:
            import importlib

            module, _, name = deferral["classpath"].rpartition(".")
            trigger_cls = getattr(importlib.import_module(module), name)
            trigger = trigger_cls(**serde.deserialize(deferral["kwargs"]))
            try:
                event = await first_event(trigger, deferral.get("timeout"))
            except TimeoutError:
                await queries.record_task_result(
                    self.db, entry.ti_id, entry.try_number, "failed", expected=("deferred",)
                )
                return
            next_kwargs = {**serde.deserialize(deferral["next_kwargs"]), "event": getattr(event, "payload", event)}
            await app_queries.resume_deferred(self.db, entry.ti_id, entry.try_number, serde.serialize(next_kwargs))
            self.wake.set()

        task = asyncio.get_running_loop().create_task(watch())
        self.triggers.add(task)
        task.add_done_callback(self.triggers.discard)

    # --- the loop turn --------------------------------------------------------------------------------------------
    async def _active_runs(self) -> list[Any]:
        page = await queries.list_dag_runs(self.db, dag_id=self.dag.dag_id, states=["queued", "running"], limit=10_000)
        return list(page.items)

    async def tick(self, paused: bool) -> None:
        now = pendulum.now("UTC")
        self.next_wakeup = None
        if not paused and self.accepting:
            await self.create_scheduled_runs(now)
        # One read of the active runs per turn; the queued-run start (more reads) only when it can start one.
        active = await self._active_runs()
        running = [r for r in active if r.state == "running"]
        if not paused and self.accepting and len(running) < len(active):
            await self.start_queued_runs()
            running = [r for r in await self._active_runs() if r.state == "running"]
        self.runs = {run.run_id: run for run in running}
        for run in running:
            for _ in range(20):  # a few passes let skips and expansions settle in one turn
                if not await self.schedule_run(run, now):
                    break
        if self.accepting:
            await self.dispatch()
