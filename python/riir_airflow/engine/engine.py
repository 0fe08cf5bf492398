"""THE run engine: every scheduling decision about one DAG run, for `dags test` and the DAG app alike.

One `schedule_run()` call makes a few passes over a snapshot of the run's task instances: one Rust `Planner.plan()`
call per pass (trigger rules, skips, upstream failures, removed tasks, setup/teardown, the run's own state), mapped
tasks expanded once their upstream XComs are in, retries held back until their delay (or exponential backoff) has
passed, sensors in reschedule until their `reschedule_at`, and the startable tries moved to `scheduled`. When the
planner says the run is over and nothing moved, the run is finished. The store persists each step (compare-and-set);
who creates runs, and where a scheduled try runs, is the host's business (`runtime/local.py`, `app/scheduler.py`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from riir_airflow._core import Planner
from riir_airflow.engine.store import RunStore, XComReader
from riir_airflow.engine.vocabulary import ACTIVE_TASK_STATES, STARTABLE_TASK_STATES, StateChange, TiSnapshot

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
class RunPass:
    """What one `schedule_run()` decided."""

    ready: list[TiSnapshot] = field(default_factory=list)  # moved to `scheduled`: the host may start them
    run_state: str = "running"
    finished: bool = False  # this call ended the run (it was running and now is `run_state`)
    wakeup: dt.datetime | None = None  # the earliest moment a waiting retry or reschedule becomes due
    scheduled: int = 0  # tries in `scheduled` now (made ready by this or an earlier pass, not yet claimed)
    limited: bool = False  # some startable tries wait for a concurrency limit


class RunEngine:
    """Decides the life of the runs of one DAG over a store."""

    def __init__(self, dag: Any, store: RunStore, measure: Measure) -> None:
        self.dag = dag
        self.store = store
        self.measure = measure
        self.planner = planner_for(dag)

    async def schedule_runs(self, runs: Sequence[tuple[str, Any]], now: dt.datetime) -> dict[str, RunPass]:
        """Plans each running run (run_id, logical_date) until it settles, highest priority first within a run, with
        max_active_tasks per run and the tasks' max_active_tis_per_dag (across the runs) and _per_dagrun."""
        snapshots = {run_id: await self.store.task_states(run_id) for run_id, _ in runs}
        active = ActiveTries.of(snapshots.items())
        return {
            run_id: await self.schedule_run(run_id, logical_date, now, active, snapshots[run_id])
            for run_id, logical_date in runs
        }

    async def schedule_run(
        self,
        run_id: str,
        logical_date: Any,
        now: dt.datetime,
        active: ActiveTries | None = None,
        snapshot: Sequence[TiSnapshot] | None = None,
    ) -> RunPass:
        """Plans the run until it settles: returns the tries made ready, and whether the run ended."""
        result = RunPass()
        ready: dict[tuple[str, int], TiSnapshot] = {}
        for _ in range(MAX_PASSES):
            current = snapshot if snapshot is not None else await self.store.task_states(run_id)
            snapshot = None  # later passes read again what the earlier ones changed
            if active is None:
                active = ActiveTries.of([(run_id, current)])
            rows = {ti.key: ti for ti in current}
            plan = self.planner.plan([(t, i, ti.state) for (t, i), ti in rows.items()])
            changes: list[StateChange] = []
            for key, new in (
                *((k, "skipped") for k in plan["to_skip"]),
                *((k, "upstream_failed") for k in plan["to_upstream_failed"]),
                *((k, "removed") for k in plan["to_remove"]),
            ):
                changes.append(StateChange(key[0], new, (rows[key].state,), key[1]))
            expanded = False
            for key in plan["to_run"]:
                ti = rows[key]
                task = self.dag.task_dict[ti.task_id]
                if ti.map_index == -1 and needs_expansion(task):
                    expanded |= await self._expand(run_id, task, changes)
                    continue
                due = self._due(ti, task, logical_date)
                if due is not None and due > now:
                    result.wakeup = due if result.wakeup is None else min(result.wakeup, due)
                    continue
                if ti.state in STARTABLE_TASK_STATES:
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
            result.scheduled = sum(1 for ti in rows.values() if ti.state == "scheduled") + sum(
                1 for key in applied if new_states[key] == "scheduled"
            )
            if state != "running" and not changes and not expanded:
                result.run_state = state
                result.finished = await self.store.finish_run(run_id, state)
                break
            # Only a task that ended (skipped, upstream_failed, removed, failed) or an expansion can unblock or
            # doom others: moving a task to `scheduled` cannot, so another pass would find nothing new.
            if not expanded and all(new_states[key] == "scheduled" for key in applied):
                break
        result.ready = list(ready.values())
        return result

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
