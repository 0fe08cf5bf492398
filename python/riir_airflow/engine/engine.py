"""THE run engine: every scheduling decision about one DAG run, for `dags test` and the DAG app alike.

One `schedule_run()` call makes a few passes over a snapshot of the run's task instances: one Rust `RunPlan.plan()`
call per pass (trigger rules, skips, upstream failures, removed tasks, setup/teardown, the run's own state), mapped
tasks expanded once their upstream XComs are in, retries held back until their delay (or exponential backoff) has
passed, sensors in reschedule until their `reschedule_at`, and the startable tries moved to `scheduled`. When the
planner says the run is over and nothing moved, the run is finished. The store persists each step (compare-and-set);
who creates runs, and where a scheduled try runs, is the host's business (`runtime/local.py`, `app/scheduler.py`).

The planner state of each running run is kept across passes and loop turns (`KnownRun`): each pass gives it only the
task instances that changed, so it re-decides only what those changes can affect, and once the run's slots are full
a pass looks only at the ready tries that need no slot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from riir_airflow._core import Planner, RunPlan
from riir_airflow.engine.store import RunStore, XComReader
from riir_airflow.engine.vocabulary import (
    ACTIVE_TASK_STATES,
    FINISHED_TASK_STATES,
    PAST_DEPENDS_OK_STATES,
    STARTABLE_TASK_STATES,
    PastRun,
    StateChange,
    StatesRead,
    TiSnapshot,
)

log = logging.getLogger("riir_airflow.engine")
T = TypeVar("T")

MAX_RETRY_DELAY = 86400  # Airflow's cap on a computed retry delay, in seconds
MAX_PASSES = 20  # skips and expansions settle within a few passes; this bounds a pathological DAG

# How many copies a mapped task expands to, given its upstream XComs (the runtime resolves the references).
Measure = Callable[[Any, XComReader], int]


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs a coroutine that never suspends (the engine over the memory store) without an event loop, so that
    `dags test` runs task code outside any loop, as Airflow's does."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("run_sync: the coroutine suspended (a store that does I/O needs an event loop)")


def mapped_groups_of(task: Any) -> list[Any]:
    """The mapped task groups a task sits in, innermost first."""
    return list(task.task_group.iter_mapped_task_groups()) if task.task_group is not None else []


def is_task_schedulable(task: Any) -> bool:
    """Airflow's `TaskInstance.is_task_schedulable`: an EmptyOperator (or subclass, e.g. ExternalTaskMarker) without
    on_execute / on_success callbacks, inlets or outlets is not run by Airflow's scheduler, only marked success."""
    return bool(
        not getattr(task, "inherits_from_empty_operator", False)
        or getattr(task, "on_execute_callback", None)
        or getattr(task, "on_success_callback", None)
        or getattr(task, "outlets", None)
        or getattr(task, "inlets", None)
    )


def needs_expansion(task: Any) -> bool:
    """True for mapped tasks and for tasks inside a mapped task group."""
    return bool(task.is_mapped or mapped_groups_of(task))


def group_map_index(task: Any, map_index: int) -> int | None:
    """The index of the mapped task group copy a task instance belongs to, if it sits in one."""
    return map_index if mapped_groups_of(task) and map_index >= 0 else None


def planner_for(dag: Any) -> Planner:
    """The Rust planner for a DAG: tasks with their rules and weights, edges, and mapping structure."""
    from riir_airflow.authoring.xcom_arg import XComArg

    specs: list[dict[str, Any]] = []
    group_deps: dict[str, list[str]] = {}
    from riir_airflow.authoring.trigger_rule import WeightRule

    for task in dag.tasks:
        groups = mapped_groups_of(task)
        weight_rule = getattr(task.weight_rule, "value", task.weight_rule)
        priority_weight = int(task.priority_weight)
        if not (isinstance(weight_rule, str) and WeightRule.is_valid(weight_rule)):
            # A custom priority weight strategy (from a plugin): its weight, computed here, is absolute for the core.
            priority_weight, weight_rule = task.priority_weight_total, WeightRule.ABSOLUTE.value
        spec: dict[str, Any] = {
            "task_id": task.task_id,
            "trigger_rule": str(task.trigger_rule.value if hasattr(task.trigger_rule, "value") else task.trigger_rule),
            "is_setup": bool(task.is_setup),
            "is_teardown": bool(task.is_teardown),
            "on_failure_fail_dagrun": bool(getattr(task, "on_failure_fail_dagrun", False)),
            "priority_weight": priority_weight,
            "weight_rule": str(weight_rule),
            "mapped_groups": [g.group_id for g in groups],
            "is_mapped": bool(task.is_mapped),
            "depends_on_past": bool(task.depends_on_past),
            "max_active_tis_per_dag": task.max_active_tis_per_dag,
            "max_active_tis_per_dagrun": task.max_active_tis_per_dagrun,
        }
        if task.is_mapped:
            spec["mapped_dependencies"] = sorted(
                {op.task_id for op, _ in XComArg.iter_xcom_references(task.expand_input.value)}
            )
        specs.append(spec)
        for group in groups:
            group_deps.setdefault(
                group.group_id,
                sorted({op.task_id for op, _ in XComArg.iter_xcom_references(group._expand_input.value)}),
            )
    edges = [(t.task_id, d) for t in dag.tasks for d in sorted(t.downstream_task_ids)]
    return Planner(specs, edges, group_deps, dag.dag_id)


def next_retry_datetime(
    task: Any, dag_id: str, logical_date: Any, try_number: int, end_date: dt.datetime
) -> dt.datetime:
    """When a failed try may be retried: retry_delay, or exponential backoff with Airflow's deterministic jitter."""
    delay: dt.timedelta = task.retry_delay
    multiplier = task.retry_exponential_backoff or 1.0
    if multiplier != 1.0 and multiplier > 0:
        try:
            min_backoff = math.ceil(delay.total_seconds() * (multiplier ** (try_number - 1)))
        except OverflowError:
            min_backoff = MAX_RETRY_DELAY
        min_backoff = max(min_backoff, 1)
        seed = f"{dag_id}#{task.task_id}#{logical_date}#{try_number}".encode()
        ti_hash = int(hashlib.sha1(seed, usedforsecurity=False).hexdigest(), 16)
        delay = dt.timedelta(seconds=min(min_backoff + ti_hash % min_backoff, MAX_RETRY_DELAY))
        if task.max_retry_delay:
            delay = min(task.max_retry_delay, delay)
    return end_date + delay


def past_depends_met(dag: Any, task: Any, past: PastRun) -> bool:
    """Airflow's PrevDagrunDep for a `depends_on_past` task: its instances in the previous run ended in success or
    skipped, and with `wait_for_downstream` so did those of its immediate downstream tasks. The first run (or the
    first of a backfill) may go; with catchup, so may a task that started after the previous run's logical date;
    with `ignore_first_depends_on_past`, a task that has no instance in any earlier run."""
    if not past.exists or past.first_in_backfill:
        return True
    start = getattr(task, "start_date", None)
    if dag.catchup and start is not None and past.logical_date is not None and past.logical_date < start:
        return True
    states = past.states.get(task.task_id)
    if not states:  # the task has no instance in the previous run
        return bool(task.ignore_first_depends_on_past) and task.task_id not in past.tasks_run_before
    if any(state not in PAST_DEPENDS_OK_STATES for state in states):
        return False
    if task.wait_for_downstream:
        for downstream in task.downstream_task_ids:
            if any(state not in PAST_DEPENDS_OK_STATES for state in past.states.get(downstream, ())):
                return False
    return True


def past_task_ids(dag: Any) -> frozenset[str]:
    """The tasks whose instances in the previous run depends_on_past / wait_for_downstream read."""
    ids: set[str] = set()
    for task in dag.tasks:
        if task.depends_on_past:
            ids.add(task.task_id)
            if task.wait_for_downstream:
                ids.update(task.downstream_task_ids)
    return frozenset(ids)


def lost_try_state(try_number: int, max_tries: int) -> str:
    """The end of a try whose process vanished without a result: retried while retries are left."""
    return "up_for_retry" if try_number <= max_tries else "failed"


# As Airflow 3.3's scheduler counts them (`scheduled` is riir's claimable state, which Airflow's `queued` follows):
# a run's max_active_tasks counts tries that hold a worker; a task's own limits count deferred ones too.
WORKER_STATES = frozenset({"scheduled", *ACTIVE_TASK_STATES})
IN_FLIGHT_STATES = frozenset({*WORKER_STATES, "deferred", "awaiting_input"})


@dataclass
class ActiveTries:
    """The tries of a DAG that count against its concurrency limits."""

    in_flight: Counter[tuple[str, str]] = field(default_factory=Counter)  # (run_id, task_id): per-task limits
    working: Counter[str] = field(default_factory=Counter)  # run_id: max_active_tasks (per run in Airflow 3)

    @classmethod
    def of(cls, snapshots: Iterable[tuple[str, Sequence[TiSnapshot]]]) -> ActiveTries:
        active = cls()
        for run_id, rows in snapshots:
            for ti in rows:
                if ti.state in IN_FLIGHT_STATES:
                    active.in_flight[(run_id, ti.task_id)] += 1
                if ti.state in WORKER_STATES:
                    active.working[run_id] += 1
        return active

    @classmethod
    def of_plans(cls, plans: Iterable[tuple[str, RunPlan]], limited_tasks: Iterable[str]) -> ActiveTries:
        """The same counts from the runs' planner states: per-task counts only for tasks with a limit of their own
        (the only ones `admits` reads), so nothing here grows with the number of task instances."""
        active = cls()
        limited = list(limited_tasks)
        for run_id, plan in plans:
            active.working[run_id] = plan.count(WORKER_STATES)
            for task_id in limited:
                active.in_flight[(run_id, task_id)] = plan.count(IN_FLIGHT_STATES, task_id)
        return active

    def full(self, dag: Any, run_id: str) -> bool:
        """Whether the run's max_active_tasks is reached: no try of it that needs a slot can start now."""
        return bool(self.working[run_id] >= dag.max_active_tasks)

    def admits(self, dag: Any, task: Any, run_id: str) -> bool:
        """Whether one more try of `task` in `run_id` fits the run's max_active_tasks and the task's own limits."""
        if self.working[run_id] >= dag.max_active_tasks:
            return False
        per_dag = task.max_active_tis_per_dag
        if per_dag is not None and sum(n for (_, t), n in self.in_flight.items() if t == task.task_id) >= per_dag:
            return False
        per_run = task.max_active_tis_per_dagrun
        return per_run is None or self.in_flight[(run_id, task.task_id)] < per_run

    def add(self, run_id: str, task_id: str) -> None:
        self.in_flight[(run_id, task_id)] += 1
        self.working[run_id] += 1


@dataclass
class KnownRun:
    """A run as the engine last read it: its planner state and its task instances by (task_id, map_index)."""

    plan: RunPlan
    rows: dict[tuple[str, int], TiSnapshot] = field(default_factory=dict)
    cursor: int | None = None  # the store's mark of the last read, when it can give the changes since (StatesRead)

    def apply(self, read: StatesRead) -> bool:
        """Brings the state up to date with a host's read: every row, or the rows changed since this state's last
        read. False when a read of changes does not follow this state's last read, or shows rows deleted (the
        run's total differs): the caller reads every row instead."""
        if read.since is None:
            self.sync(read.rows)
            self.cursor = read.cursor
            return True
        if read.since != self.cursor:
            return False
        changed, _ = self._take(read.rows)
        if changed:
            self.plan.update(changed)
        if len(self.rows) != read.total:
            self.cursor = None
            return False
        self.cursor = read.cursor
        return True

    def sync(self, current: Sequence[TiSnapshot]) -> None:
        """Gives the planner state what changed since the last read: new or changed states, and instances gone."""
        rows = self.rows
        before = len(rows)
        changed, matched = self._take(current)
        if matched < before:  # some instances are gone (an expansion replaced map index -1)
            present = {(ti.task_id, ti.map_index) for ti in current}
            gone = [key for key in rows if key not in present]
            for key in gone:
                del rows[key]
            self.plan.remove(gone)
        if changed:
            self.plan.update(changed)

    def _take(self, current: Iterable[TiSnapshot]) -> tuple[list[tuple[str, int, str | None]], int]:
        """Keeps the rows read; returns the (task_id, map_index, state) of those new or in another state than last
        read (what the planner state is to be told), and how many were known already."""
        rows = self.rows
        matched = 0
        changed: list[tuple[str, int, str | None]] = []
        for ti in current:
            key = (ti.task_id, ti.map_index)
            old = rows.get(key)
            if old is not ti:  # the memory store hands back the same snapshot object while a record is unchanged
                if old is None or old.state != ti.state:
                    changed.append((ti.task_id, ti.map_index, ti.state))
                rows[key] = ti
            if old is not None:
                matched += 1
        return changed, matched


@dataclass
class RunPass:
    """What one `schedule_run()` decided."""

    ready: list[TiSnapshot] = field(default_factory=list)  # moved to `scheduled`: the host may start them
    run_state: str = "running"
    finished: bool = False  # this call ended the run (it was running and now is `run_state`)
    wakeup: dt.datetime | None = None  # the earliest moment a waiting retry or reschedule becomes due
    scheduled: int = 0  # tries in `scheduled` now (made ready by this or an earlier pass, not yet claimed)
    limited: bool = False  # some startable tries wait for a concurrency limit
    timed_out: bool = False  # this call failed the run for its dagrun_timeout
    stopped: list[tuple[str, int]] = field(default_factory=list)  # tries the timeout ended while they ran: kill them


class RunEngine:
    """Decides the life of the runs of one DAG over a store."""

    def __init__(self, dag: Any, store: RunStore, measure: Measure, *, short_circuit_empty: bool = False) -> None:
        self.dag = dag
        self.store = store
        self.measure = measure
        # Airflow's scheduler (not its `dags test`) marks an empty task success without running it.
        self.short_circuit_empty = short_circuit_empty
        self.planner = planner_for(dag)
        self.past_task_ids = past_task_ids(dag)  # empty for most DAGs: then the past is never read
        # Tries of these tasks take no run slot (empty tasks the scheduler marks success without running them).
        self.slot_free_tasks = [t.task_id for t in dag.tasks if short_circuit_empty and not is_task_schedulable(t)]
        self.limited_tasks = [
            t.task_id
            for t in dag.tasks
            if t.max_active_tis_per_dag is not None or t.max_active_tis_per_dagrun is not None
        ]
        self.has_depends_on_past = any(t.depends_on_past for t in dag.tasks)
        self.known_runs: dict[str, KnownRun] = {}  # the running runs' planner states, kept across loop turns

    async def known(self, run_id: str, read: StatesRead | Sequence[TiSnapshot] | None = None) -> KnownRun:
        """The run's planner state, brought up to date: with the host's read of the run when given (every task
        instance, or those changed since the state's last read), else with the store's changes since that read
        when it can tell them, else — or when a read of changes cannot be applied — with a read of every task
        instance from the store."""
        known = self.known_runs.get(run_id)
        if known is None:
            known = self.known_runs[run_id] = KnownRun(RunPlan(self.planner, self.slot_free_tasks))
        if read is None and known.cursor is not None:
            read = await self.store.task_state_changes(run_id, known.cursor)
        if read is not None and known.apply(read if isinstance(read, StatesRead) else StatesRead(read)):
            return known
        known.apply(await self.store.task_states(run_id))  # every row: always applies
        return known

    async def schedule_runs(
        self,
        runs: Sequence[tuple[str, Any, dt.datetime | None]],
        now: dt.datetime,
        read: Mapping[str, StatesRead | Sequence[TiSnapshot]] | None = None,
        *,
        start_tries: bool = True,
    ) -> dict[str, RunPass]:
        """Plans each running run (run_id, logical_date, start_date) until it settles, highest priority first within
        a run, with max_active_tasks per run and the tasks' max_active_tis_per_dag (across the runs) and _per_dagrun;
        a run past its dagrun_timeout is failed instead. `read`: snapshots of runs the host read together with the
        runs themselves (the others are read from the store). `start_tries=False` (a paused DAG): tries end, skip
        and fail upstream, and runs finish, but no try is made ready."""
        decided: dict[str, RunPass] = {}
        for run_id, _, started in runs:
            if self.timed_out(started, now):
                decided[run_id] = await self.time_out(run_id)
        read = read or {}
        planning = [run_id for run_id, _, _ in runs if run_id not in decided]
        for run_id in [r for r in self.known_runs if r not in planning]:
            del self.known_runs[run_id]  # no longer running here: finished, timed out, or deleted
        plans = [(run_id, (await self.known(run_id, read.get(run_id))).plan) for run_id in planning]
        active = ActiveTries.of_plans(plans, self.limited_tasks)
        for run_id, logical_date, _ in runs:
            if run_id not in decided:
                decided[run_id] = await self.schedule_run(
                    run_id, logical_date, now, active, start_tries=start_tries, known_now=True
                )
        return decided

    def timed_out(self, started: dt.datetime | None, now: dt.datetime) -> bool:
        """Whether a run that started at `started` is past the DAG's dagrun_timeout (Airflow's scheduler check)."""
        timeout = getattr(self.dag, "dagrun_timeout", None)
        return bool(timeout and started is not None and started < now - timeout)

    async def time_out(self, run_id: str) -> RunPass:
        """Airflow's dagrun_timeout: every unfinished task instance (also queued, running, deferred, waiting for a
        retry) becomes skipped and the run fails; the host kills the tries that were running (`stopped`)."""
        changes = [
            StateChange(ti.task_id, "skipped", (ti.state,), ti.map_index)
            for ti in (await self.store.task_states(run_id)).rows
            if ti.state not in FINISHED_TASK_STATES
        ]
        applied = set(await self.store.set_states(run_id, changes))
        self.known_runs.pop(run_id, None)
        result = RunPass(run_state="failed", timed_out=True)
        result.stopped = [(c.task_id, c.map_index) for c in changes if c.expected[0] in IN_FLIGHT_STATES]
        result.stopped = [key for key in result.stopped if key in applied]
        result.finished = await self.store.finish_run(run_id, "failed")
        log.info("Run %s of %s has timed-out", run_id, self.dag.dag_id)
        return result

    async def schedule_run(
        self,
        run_id: str,
        logical_date: Any,
        now: dt.datetime,
        active: ActiveTries | None = None,
        snapshot: StatesRead | Sequence[TiSnapshot] | None = None,
        *,
        start_tries: bool = True,
        known_now: bool = False,
    ) -> RunPass:
        """Plans the run until it settles: returns the tries made ready, and whether the run ended. `snapshot`: the
        run's task instances as the host read them; `known_now`: the run's planner state is up to date already
        (`schedule_runs` brought it up to date)."""
        result = RunPass()
        ready: dict[tuple[str, int], TiSnapshot] = {}
        past: PastRun | None = None  # read once per call, when a depends_on_past task is up
        for _ in range(MAX_PASSES):
            if known_now:
                known = self.known_runs[run_id]
            else:
                known = await self.known(run_id, snapshot)
            snapshot, known_now = None, False  # later passes read again what the earlier ones changed
            if active is None:
                active = ActiveTries.of_plans([(run_id, known.plan)], self.limited_tasks)
            rows = known.rows
            plan = known.plan.plan()
            changes: list[StateChange] = []
            for key, new in (
                *((k, "skipped") for k in plan["to_skip"]),
                *((k, "upstream_failed") for k in plan["to_upstream_failed"]),
                *((k, "removed") for k in plan["to_remove"]),
            ):
                changes.append(StateChange(key[0], new, (rows[key].state,), key[1]))
            expanded = False
            # A paused DAG: Airflow schedules none of its tasks.
            for key in self._candidates(plan, active, run_id, result) if start_tries else ():
                ti = rows[key]
                task = self.dag.task_dict[ti.task_id]
                if task.depends_on_past:
                    if past is None:
                        past = await self.store.past_run(run_id, self.past_task_ids, skip_manual=bool(self.dag.catchup))
                    if not past_depends_met(self.dag, task, past):
                        continue  # the previous run's end (or a clear of it) wakes the host
                if ti.map_index == -1 and needs_expansion(task):
                    expanded |= await self._expand(run_id, task, changes)
                    continue
                due = self._due(ti, task, logical_date)
                if due is not None and due > now:
                    result.wakeup = due if result.wakeup is None else min(result.wakeup, due)
                    continue
                if ti.state in STARTABLE_TASK_STATES and self.short_circuit_empty and not is_task_schedulable(task):
                    changes.append(StateChange(ti.task_id, "success", (ti.state,), ti.map_index))
                elif ti.state in STARTABLE_TASK_STATES:
                    if not active.admits(self.dag, task, run_id):
                        result.limited = True  # a slot opens when a try ends, which wakes the host
                        continue
                    active.add(run_id, ti.task_id)
                    changes.append(StateChange(ti.task_id, "scheduled", (ti.state,), ti.map_index))
            applied = await self.store.set_states(run_id, changes)
            new_states = {(c.task_id, c.map_index): c.new_state for c in changes}
            for key in applied:
                if new_states[key] == "scheduled":
                    ready[key] = rows[key]
            state = str(plan["run_state"])
            result.scheduled = known.plan.count(["scheduled"]) + sum(
                1 for key in applied if new_states[key] == "scheduled"
            )
            if state != "running" and not changes and not expanded:
                result.run_state = state
                result.finished = await self.store.finish_run(run_id, state)
                self.known_runs.pop(run_id, None)
                break
            # Only a task that ended (skipped, upstream_failed, removed, failed) or an expansion can unblock or
            # doom others: moving a task to `scheduled` cannot, so another pass would find nothing new.
            if not expanded and all(new_states[key] == "scheduled" for key in applied):
                break
        result.ready = list(ready.values())
        return result

    def _candidates(self, plan: Any, active: ActiveTries, run_id: str, result: RunPass) -> Iterable[tuple[str, int]]:
        """The ready task instances to look at, in `to_run` order. Once the run's max_active_tasks is reached, a try
        that needs a slot can only be `limited`: only those that need none (expansions, empty tasks marked success,
        tries waiting for their retry delay or reschedule date) are left to look at, so a turn does not walk 10,000
        ready instances to start 0. (With a depends_on_past task every instance is looked at: one whose previous
        run is not done is not `limited`.)"""
        to_run = plan["to_run"]
        if self.has_depends_on_past:
            yield from to_run
            return
        seen: set[tuple[str, int]] = set()
        for key in to_run:
            if active.full(self.dag, run_id):
                break
            seen.add(key)
            yield key
        else:
            return
        rest = [key for key in plan["to_run_without_slot"] if key not in seen]
        if len(to_run) - len(seen) > len(rest):
            result.limited = True  # some ready try needs a slot: one opens when a try ends, which wakes the host
        yield from rest

    def _due(self, ti: TiSnapshot, task: Any, logical_date: Any) -> dt.datetime | None:
        """When a waiting try may start (None: now)."""
        if ti.state == "up_for_retry" and ti.end_date is not None:
            return next_retry_datetime(task, self.dag.dag_id, logical_date, ti.try_number, ti.end_date)
        if ti.state == "up_for_reschedule":
            return ti.reschedule_at
        return None

    async def _expand(self, run_id: str, task: Any, changes: list[StateChange]) -> bool:
        """Expands a mapped task whose upstreams are done; a failure to measure it fails the task."""
        try:
            length = self.measure(task, await self.store.xcom_reader(run_id))
        except Exception:
            log.exception("Failed to expand mapped task %s.%s", self.dag.dag_id, task.task_id)
            changes.append(StateChange(task.task_id, "failed", (None,), -1))
            return False
        return await self.store.expand(run_id, task, length)
