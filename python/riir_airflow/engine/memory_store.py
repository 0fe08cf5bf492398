"""The engine's store for `dags test`: one run's task instance records and XComs in this process.

Nothing here suspends, so the engine runs over it without an event loop (`engine.run_sync`). The records log what
changes (`records.TaskInstances`): after its first read, a loop turn reads only the task instances changed since the
engine's last read (as the DAG app's reads do in the metastore), not every one of a 10,000-wide mapped task.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import pendulum

from riir_airflow.engine.records import InMemoryRunStore, TaskInstanceRecord, TaskInstances
from riir_airflow.engine.vocabulary import PastRun, StateChange, StatesRead, TiSnapshot


class MemoryStore:
    """A `RunStore` over an `InMemoryRunStore` (the records the task runtime reads and writes in `dags test`)."""

    def __init__(self, runs: InMemoryRunStore) -> None:
        self.runs = runs
        # The last snapshot of each record with what it was taken from: an unchanged record is handed back as the
        # same snapshot (the engine then skips it at once).
        self._snapshots: dict[tuple[str, int], tuple[tuple[Any, ...], TiSnapshot]] = {}

    def _records(self, run_id: str) -> TaskInstances:
        if run_id != self.runs.run.run_id:
            raise KeyError(f"the memory store holds run {self.runs.run.run_id!r}, not {run_id!r}")
        return self.runs.task_instances

    def _snapshot(self, key: tuple[str, int], r: TaskInstanceRecord) -> TiSnapshot:
        source = (r.state, r.try_number, r.end_date, r.reschedule_at)  # records.PLANNED_FIELDS
        kept = self._snapshots.get(key)
        if kept is None or kept[0] != source:
            kept = self._snapshots[key] = (source, TiSnapshot(r.task_id, r.map_index, *source))
        return kept[1]

    async def task_states(self, run_id: str) -> StatesRead:
        records = self._records(run_id)
        return StatesRead([self._snapshot(key, r) for key, r in records.items()], len(records.changes))

    async def task_state_changes(self, run_id: str, since: int) -> StatesRead | None:
        records = self._records(run_id)
        changes = records.changes
        if since > len(changes):
            return None  # not a mark of this run's log
        changed = dict.fromkeys(changes[since:])  # each key once, in the order of its first change
        rows = [self._snapshot(key, records[key]) for key in changed if key in records]
        return StatesRead(rows, len(changes), since, len(records))

    async def set_states(self, run_id: str, changes: Sequence[StateChange]) -> list[tuple[str, int]]:
        records = self._records(run_id)
        applied: list[tuple[str, int]] = []
        for change in changes:
            record = records.get((change.task_id, change.map_index))
            if record is None or record.state not in change.expected:
                continue
            if change.new_state == "scheduled" and record.state not in ("up_for_reschedule", "deferred"):
                record.try_number += 1  # entering `scheduled` starts a new try, as in the metastore
            record.state = change.new_state
            applied.append(record.key)
        return applied

    async def expand(self, run_id: str, task: Any, length: int) -> bool:
        records = self._records(run_id)
        unexpanded = records.get((task.task_id, -1))
        if unexpanded is None or unexpanded.state is not None:
            return False
        if length == 0:
            unexpanded.state = "skipped"
            return True
        del records[(task.task_id, -1)]
        for index in range(length):
            records[(task.task_id, index)] = TaskInstanceRecord(task.task_id, index, max_tries=unexpanded.max_tries)
        return True

    async def xcom_reader(self, run_id: str) -> InMemoryRunStore:
        self._records(run_id)
        return self.runs

    async def finish_run(self, run_id: str, state: str) -> bool:
        self._records(run_id)
        if self.runs.run.state != "running":
            return False
        self.runs.run.state = state
        self.runs.run.end_date = pendulum.now("UTC")
        return True

    async def past_run(self, run_id: str, task_ids: Collection[str], *, skip_manual: bool) -> PastRun:
        self._records(run_id)
        history = self.runs.history
        if history is None:
            return PastRun()  # `dags test` without a kept history: every run is the first
        earlier = history.before(self.runs.run, skip_manual=skip_manual)
        previous = earlier[0] if earlier else None
        if previous is None:
            return PastRun()
        wanted = set(task_ids)
        states: dict[str, tuple[str | None, ...]] = {}
        for (task_id, _), record in sorted(previous.task_instances.items()):
            if task_id in wanted:
                states[task_id] = (*states.get(task_id, ()), record.state)
        before = {t for s in history.before(self.runs.run) for (t, _) in s.task_instances if t in wanted}
        return PastRun(True, False, previous.run.logical_date, states, frozenset(before))
