"""The run engine: one DAG run's scheduling decisions (from the Rust planner) and state transitions.

Each loop turn makes one `Planner.plan()` call with a snapshot of every task instance's state, applies the skips
and upstream failures it returns, expands mapped tasks that became ready, and hands back the tries to start.
Outcomes of finished tries are applied with `apply_outcome`. The engine knows nothing about where tries run:
`dags test` runs them in this process, the DAG app in child processes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import pendulum

from riir_airflow._core import Planner
from riir_airflow._internal import settings
from riir_airflow.runtime.records import InMemoryRunStore, TaskInstanceRecord
from riir_airflow.runtime.task_instance import RuntimeTaskInstance
from riir_airflow.runtime.task_runner import TryOutcome, next_retry_datetime

log = logging.getLogger("airflow.task")
FINISHED = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})


def mapped_groups_of(task: Any) -> list[Any]:
    """The mapped task groups a task sits in, innermost first."""
    return list(task.task_group.iter_mapped_task_groups()) if task.task_group is not None else []


def planner_for(dag: Any) -> Planner:
    """The Rust planner for a DAG: tasks with their rules and weights, edges, and mapping structure."""
    from riir_airflow._internal.xcom_arg import XComArg

    specs: list[dict[str, Any]] = []
    group_deps: dict[str, list[str]] = {}
    from riir_airflow._internal.trigger_rule import WeightRule

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


def needs_expansion(task: Any) -> bool:
    """True for mapped tasks and for tasks inside a mapped task group."""
    return bool(task.is_mapped or mapped_groups_of(task))


def expansion_length(task: Any, record: TaskInstanceRecord, store: Any) -> int:
    """How many copies a mapped task (or a task in a mapped group) expands to, from its upstream XComs."""
    ti = RuntimeTaskInstance(task, record, store)
    context = {"ti": ti}
    if task.is_mapped:
        length = int(task.total_map_length(context))
    else:
        length = 1
        for group in mapped_groups_of(task):
            length *= int(group._expand_input.total_length(context))
    limit = settings.max_map_length()
    if length > limit:
        raise RuntimeError(f"Expansion of {task.task_id} gives {length} copies, above [core] max_map_length={limit}")
    return length


class RunEngine:
    """Drives one DAG run over a store of task instance records."""

    def __init__(self, dag: Any, store: InMemoryRunStore) -> None:
        self.dag = dag
        self.store = store
        self.planner = planner_for(dag)
        for task in dag.tasks:
            key = (task.task_id, -1)
            if key not in store.task_instances and not any(k[0] == task.task_id for k in store.task_instances):
                store.task_instances[key] = TaskInstanceRecord(task.task_id, -1, max_tries=int(task.retries or 0))

    # --- planning -----------------------------------------------------------------------------------------------
    def _snapshot(self) -> list[tuple[str, int, str | None]]:
        return [(r.task_id, r.map_index, r.state) for r in self.store.task_instances.values()]

    def _expand(self, task: Any, record: TaskInstanceRecord) -> None:
        try:
            length = expansion_length(task, record, self.store)
        except Exception:
            log.exception("Failed to expand mapped task %s", task.task_id)
            record.state = "failed"
            return
        if length == 0:
            record.state = "skipped"
            return
        del self.store.task_instances[record.key]
        for index in range(length):
            self.store.task_instances[(task.task_id, index)] = TaskInstanceRecord(
                task.task_id, index, max_tries=record.max_tries
            )

    def step(self, now: dt.datetime | None = None) -> tuple[list[TaskInstanceRecord], str]:
        """One scheduling pass: returns the tries to start now and the run's state."""
        now = now or pendulum.now("UTC")
        while True:
            plan = self.planner.plan(self._snapshot())
            for key in plan["to_skip"]:
                self.store.task_instances[key].state = "skipped"
            for key in plan["to_upstream_failed"]:
                self.store.task_instances[key].state = "upstream_failed"
            for key in plan["to_remove"]:
                self.store.task_instances[key].state = "removed"
            expanded = False
            ready: list[TaskInstanceRecord] = []
            for task_id, map_index in plan["to_run"]:
                record = self.store.task_instances[(task_id, map_index)]
                task = self.dag.task_dict[task_id]
                if map_index == -1 and needs_expansion(task):
                    self._expand(task, record)
                    expanded = True
                    continue
                if record.state == "up_for_retry" and record.next_retry_at and record.next_retry_at > now:
                    continue
                if record.state == "up_for_reschedule" and record.reschedule_at and record.reschedule_at > now:
                    continue
                ready.append(record)
            if not expanded:
                return ready, str(plan["run_state"])

    def next_wakeup(self) -> dt.datetime | None:
        """The earliest moment a waiting retry or reschedule becomes due."""
        times = [
            r.next_retry_at if r.state == "up_for_retry" else r.reschedule_at
            for r in self.store.task_instances.values()
            if r.state in ("up_for_retry", "up_for_reschedule")
        ]
        due = [t for t in times if t is not None]
        return min(due) if due else None

    # --- state transitions ------------------------------------------------------------------------------------
    def start_try(self, record: TaskInstanceRecord, now: dt.datetime | None = None) -> None:
        if record.state != "up_for_reschedule":
            record.try_number += 1
        record.state = "running"
        record.start_date = now or pendulum.now("UTC")
        record.end_date = None

    def group_map_index(self, record: TaskInstanceRecord) -> int | None:
        task = self.dag.task_dict[record.task_id]
        return record.map_index if mapped_groups_of(task) and record.map_index >= 0 else None

    def apply_outcome(self, record: TaskInstanceRecord, outcome: TryOutcome, now: dt.datetime | None = None) -> None:
        now = now or pendulum.now("UTC")
        record.end_date = now
        record.rendered_fields = outcome.rendered_fields
        record.rendered_map_index = outcome.rendered_map_index
        record.state = outcome.state
        if outcome.state == "up_for_retry":
            task = self.dag.task_dict[record.task_id]
            record.next_retry_at = next_retry_datetime(
                task, self.dag.dag_id, self.store.run.logical_date, record.try_number, now
            )
        elif outcome.state == "up_for_reschedule":
            if record.first_reschedule_date is None:
                record.first_reschedule_date = record.start_date
            record.reschedule_at = outcome.reschedule_date
        for key in outcome.skip_tasks:
            self._skip(key)

    def _skip(self, key: tuple[str, int]) -> None:
        record = self.store.task_instances.get(key)
        if record is None and key[1] >= 0:
            record = self.store.task_instances.get((key[0], -1))
        if record is not None and record.state not in FINISHED:
            record.state = "skipped"

    def records(self) -> Sequence[TaskInstanceRecord]:
        return sorted(self.store.task_instances.values(), key=lambda r: (r.task_id, r.map_index))
