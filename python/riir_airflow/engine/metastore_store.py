"""The engine's store for the DAG app: the metastore (PostgreSQL), every write one compare-and-set transaction."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

import pendulum

from riir_airflow.engine.records import DagRunRecord, InMemoryRunStore
from riir_airflow.engine.vocabulary import PastRun, StateChange, StatesRead, TiSnapshot
from riir_airflow.metastore import app_queries, cross_run_queries, queries


def run_view(run: Any) -> DagRunRecord:
    """The runtime's view of a metastore run row."""
    return DagRunRecord(
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
        partition_key=run.partition_key,
        partition_date=pendulum.instance(run.partition_date) if run.partition_date else None,
    )


def snapshot_of(rows: Sequence[app_queries.TaskState]) -> list[TiSnapshot]:
    """The engine's view of a run's task instances as the metastore returns them."""
    return [
        TiSnapshot(ti.task_id, ti.map_index, ti.state, ti.try_number, ti.end_date, ti.reschedule_at, ti.id)
        for ti in rows
    ]


class MetastoreStore:
    """A `RunStore` over the metastore for the runs of one DAG."""

    def __init__(self, db: Any, dag_id: str, fencing_token: int) -> None:
        self.db = db
        self.dag_id = dag_id
        self.fencing_token = fencing_token  # every decision's write checks that this app still holds the DAG
        self.finished_runs: dict[str, Any] = {}  # run_id -> the run row as finish_run left it (for callbacks)
        # Moves to `scheduled` not written yet: the app writes them with its claim, in one statement (take_deferred).
        self.deferred: list[tuple[str, StateChange]] = []
        self.finished_durably = False  # a run ended (a durable commit) since the app last looked

    async def task_states(self, run_id: str) -> StatesRead:
        # No cursor: the host's turn reads the changes with the runs themselves (app_queries.active_runs_with_states).
        return StatesRead(snapshot_of(await app_queries.task_states_of_run(self.db, self.dag_id, run_id)))

    async def task_state_changes(self, run_id: str, since: int) -> StatesRead | None:
        changes = await app_queries.task_state_changes(self.db, self.dag_id, run_id, since)
        return StatesRead(snapshot_of(changes.rows), changes.cursor, changes.since, changes.total)

    async def set_states(self, run_id: str, changes: Sequence[StateChange]) -> list[tuple[str, int]]:
        # Moves to `scheduled` only (a task hop's usual pass): deferred to the app's claim, which writes them and
        # starts what it can in one statement (app_queries.schedule_and_start), later in the same loop turn. They
        # are reported applied; one whose row has moved on by then is left alone by its compare-and-set, and the
        # change that moved it wakes the app to plan again.
        if changes and all(c.new_state == "scheduled" for c in changes):
            self.deferred.extend((run_id, c) for c in changes)
            return [(c.task_id, c.map_index) for c in changes]
        # Not fenced: the planner's changes are the same whoever computes them, and compare-and-set; what a second
        # holder must never do (claim, create or finish runs, record results) is fenced.
        # Not durable either (no WAL flush waited for: a few ms per task hop): the planner derives the same changes
        # again from the task states if a PostgreSQL crash loses them, and a claim of a try it scheduled is made
        # durable, with it, by the start's commit before anything runs.
        if not changes:
            return []
        async with app_queries.relaxed_transaction(self.db) as conn:
            changed = await queries.set_task_states(conn, self.dag_id, run_id, changes)
        return [(k.task_id, k.map_index) for k in changed]

    def take_deferred(self) -> list[tuple[str, StateChange]]:
        """The deferred moves to `scheduled` ((run_id, change) pairs), for the app's claim to write."""
        deferred, self.deferred = self.deferred, []
        return deferred

    async def expand(self, run_id: str, task: Any, length: int) -> bool:
        async with app_queries.fenced_transaction(self.db, self.dag_id, self.fencing_token) as conn:
            return await app_queries.expand_task_instance(
            conn, self.dag_id, run_id, task.task_id, length, max_tries=int(task.retries or 0), pool=task.pool,
            pool_slots=task.pool_slots, queue=task.queue, priority_weight=task.priority_weight_total,
            operator=task.task_type, custom_operator_name=getattr(task, "custom_operator_name", None),
        )  # fmt: skip

    async def xcom_reader(self, run_id: str) -> InMemoryRunStore:
        """The run's XComs, read once for measuring an expansion."""
        run = await queries.get_dag_run(self.db, self.dag_id, run_id)
        if run is None:
            raise LookupError(f"run {run_id!r} of {self.dag_id!r} is gone")
        reader = InMemoryRunStore(run_view(run))
        page = await queries.list_xcoms(self.db, dag_id=self.dag_id, run_id=run_id, limit=100_000)
        for x in page.items:
            reader.xcoms[(x.task_id, x.map_index, x.key)] = json.dumps(x.value)
        return reader

    async def finish_run(self, run_id: str, state: str) -> bool:
        finished = await app_queries.finish_run_fenced(self.db, self.dag_id, self.fencing_token, run_id, state)
        if finished is None:
            return False
        self.finished_durably = True  # its commit (a write) waited for the WAL flush
        self.finished_runs[run_id] = finished
        return True

    async def past_run(self, run_id: str, task_ids: Collection[str], *, skip_manual: bool) -> PastRun:
        found = await cross_run_queries.past_run(self.db, self.dag_id, run_id, task_ids, skip_manual=skip_manual)
        return PastRun(
            exists=bool(found["exists"]),
            first_in_backfill=bool(found.get("first_in_backfill", False)),
            logical_date=found.get("logical_date"),
            states={t: tuple(states) for t, states in found.get("states", {}).items()},
            tasks_run_before=frozenset(found.get("tasks_run_before", ())),
        )
