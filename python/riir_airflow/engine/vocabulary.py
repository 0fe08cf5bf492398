"""Every state in the life of a run and a try, and what the engine and its stores pass each other, as typed
records. What a try and its app say to each other is next door, in `messages.py`.

- States: Airflow's `TaskInstanceState` / `DagRunState` (string enums) and the sets the engine decides with.
- `TiSnapshot` / `StateChange`: what the engine reads of task instances and the compare-and-set changes it writes.
- `PastRun`, `PreviousSuccess`: what the engine and a try read of earlier runs.

(`messages.py` is its own module because `dags test` never sends a message: defining its twenty record classes is
a measurable part of that command's start-up.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from riir_airflow.states import FINISHED_RUN_STATES as FINISHED_RUN_STATES
from riir_airflow.states import FINISHED_TASK_STATES as FINISHED_TASK_STATES
from riir_airflow.states import DagRunState, StateChange, TaskInstanceState

__all__ = [
    "ACTIVE_TASK_STATES",
    "FINISHED_RUN_STATES",
    "FINISHED_TASK_STATES",
    "PAST_DEPENDS_OK_STATES",
    "STARTABLE_TASK_STATES",
    "WAITING_TASK_STATES",
    "DagRunState",
    "PastRun",
    "PreviousSuccess",
    "StateChange",
    "StatesRead",
    "TaskInstanceState",
    "TiSnapshot",
]

# Waiting for a moment (retry delay, sensor reschedule) before its next try may start.
WAITING_TASK_STATES: frozenset[str] = frozenset({"up_for_retry", "up_for_reschedule"})
# States from which the engine may schedule a try (None: never tried).
STARTABLE_TASK_STATES: frozenset[str | None] = frozenset({None, "up_for_retry", "up_for_reschedule"})
# Occupying a slot (pool, max_active_tis_per_dag, max_active_tasks): claimed and not ended yet.
ACTIVE_TASK_STATES: frozenset[str] = frozenset({"queued", "running"})


@dataclass(frozen=True, slots=True)
class PreviousSuccess:
    """The latest successful run before a run (by logical date): the `prev_*_success` context values."""

    data_interval_start: dt.datetime | None = None
    data_interval_end: dt.datetime | None = None
    start_date: dt.datetime | None = None
    end_date: dt.datetime | None = None


# --- what the engine reads and writes through a store ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TiSnapshot:
    """What deciding a run needs of one of its task instances."""

    task_id: str
    map_index: int
    state: str | None
    try_number: int
    end_date: dt.datetime | None = None
    reschedule_at: dt.datetime | None = None  # when a sensor in up_for_reschedule asked to be poked again
    id: Any = None  # the store's own identity of the row (the metastore's uuid), if any

    @property
    def key(self) -> tuple[str, int]:
        return self.task_id, self.map_index


@dataclass(frozen=True, slots=True)
class StatesRead:
    """A run's task instances as a host read them with the run: every one (`since` None), or only those changed
    since the read that returned `since` as its `cursor`, with the run's `total` count (the metastore's change
    stamps, migration 0017)."""

    rows: Sequence[TiSnapshot]
    cursor: int | None = None  # what to read changes since, next time
    since: int | None = None
    total: int | None = None


# Where a task instance of the previous run lets a `depends_on_past` task run (Airflow's PrevDagrunDep).
PAST_DEPENDS_OK_STATES: frozenset[str | None] = frozenset({"success", "skipped"})


@dataclass(frozen=True, slots=True)
class PastRun:
    """What Airflow's `PrevDagrunDep` reads about the runs before a run, for its `depends_on_past` tasks.

    The previous run is the one with the latest logical date before this run's (not counting manual runs when the
    DAG has catchup on, as Airflow's `get_previous_scheduled_dagrun`).
    """

    exists: bool = False  # False: no previous run (or this run has no logical date): the first run may go
    first_in_backfill: bool = False  # the first run of a backfill does not depend on the past
    logical_date: dt.datetime | None = None  # the previous run's
    states: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)  # task_id -> its TIs' states there
    tasks_run_before: frozenset[str] = frozenset()  # tasks with an instance in any earlier run
