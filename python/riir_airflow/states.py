"""Task instance and DAG run states, with Airflow's string values; the compare-and-set change of a task instance's
state and which tasks have an instance in a run (shared by the engine and the metastore, defined once here)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import Enum
from typing import Any


class TaskInstanceState(str, Enum):
    """States a task instance moves through."""

    REMOVED = "removed"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    RESTARTING = "restarting"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    UP_FOR_RESCHEDULE = "up_for_reschedule"
    UPSTREAM_FAILED = "upstream_failed"
    SKIPPED = "skipped"
    DEFERRED = "deferred"
    AWAITING_INPUT = "awaiting_input"

    def __str__(self) -> str:
        return self.value


class DagRunState(str, Enum):
    """States of a DAG run."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


class DagRunType(str, Enum):
    """How a run came to be. str() gives `DagRunType.MANUAL`, as Airflow's enum does; it compares equal to "manual"."""

    BACKFILL_JOB = "backfill"
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    OPERATOR_TRIGGERED = "operator_triggered"
    ASSET_TRIGGERED = "asset_triggered"
    ASSET_MATERIALIZATION = "asset_materialization"

    def generate_run_id(self, *, suffix: str) -> str:
        return f"{self.value}__{suffix}"


class State:
    """Airflow's grouping helpers over the two state enums."""

    SUCCESS = TaskInstanceState.SUCCESS
    RUNNING = TaskInstanceState.RUNNING
    FAILED = TaskInstanceState.FAILED
    SKIPPED = TaskInstanceState.SKIPPED
    UPSTREAM_FAILED = TaskInstanceState.UPSTREAM_FAILED
    UP_FOR_RETRY = TaskInstanceState.UP_FOR_RETRY
    QUEUED = TaskInstanceState.QUEUED
    NONE = None
    finished = frozenset(
        {TaskInstanceState.SUCCESS, TaskInstanceState.FAILED, TaskInstanceState.SKIPPED,
         TaskInstanceState.UPSTREAM_FAILED, TaskInstanceState.REMOVED}
    )  # fmt: skip
    unfinished = frozenset(
        {None, TaskInstanceState.SCHEDULED, TaskInstanceState.QUEUED, TaskInstanceState.RUNNING,
         TaskInstanceState.RESTARTING, TaskInstanceState.UP_FOR_RETRY, TaskInstanceState.UP_FOR_RESCHEDULE,
         TaskInstanceState.DEFERRED, TaskInstanceState.AWAITING_INPUT}
    )  # fmt: skip
    failed_states = frozenset({TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED})
    success_states = frozenset({TaskInstanceState.SUCCESS, TaskInstanceState.SKIPPED})


# The state sets the engine, the metastore and the broker decide with, as plain strings: defined here once.
# A task instance in one of these will not change again unless someone clears or marks it.
FINISHED_TASK_STATES: frozenset[str] = frozenset(s.value for s in State.finished)
# Not finished yet (None, a task instance never scheduled, excluded).
UNFINISHED_TASK_STATES: frozenset[str] = frozenset(s.value for s in State.unfinished if s is not None)
FINISHED_RUN_STATES: frozenset[str] = frozenset({DagRunState.SUCCESS.value, DagRunState.FAILED.value})


@dataclass(frozen=True, slots=True)
class StateChange:
    """Compare-and-set of one task instance's state: applied only if its state is one of `expected`."""

    task_id: str
    new_state: str | None
    expected: tuple[str | None, ...]
    map_index: int = -1


def task_in_run(start_date: Any, end_date: Any, logical_date: Any, run_type: str | None) -> bool:
    """Whether a task gets an instance in a run, as Airflow's `DagRun.verify_integrity` decides: outside a backfill, a
    task whose start_date is after the run's logical date, or whose end_date is before it, gets none (it neither runs
    nor shows in the run). Dates are datetimes or ISO strings (a serialized task's); None means unbounded."""
    if run_type == "backfill" or logical_date is None:
        return True
    when = _as_datetime(logical_date)
    if start_date is not None and _as_datetime(start_date) > when:
        return False
    return end_date is None or when <= _as_datetime(end_date)


def _as_datetime(value: Any) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
