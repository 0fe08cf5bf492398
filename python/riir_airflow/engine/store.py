"""What the engine needs from wherever a run's task instances live: the `RunStore` protocol.

Two stores implement it: `MemoryStore` (`dags test`: records in this process) and `MetastoreStore` (the DAG app:
PostgreSQL). A store only persists; every decision is the engine's. Methods are coroutines; the memory store never
suspends, so `dags test` drives the engine without an event loop (see `engine.run_sync`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Protocol

from riir_airflow.engine.vocabulary import PastRun, StateChange, StatesRead


class XComReader(Protocol):
    """The XComs of a run, as measuring a mapped task's expansion reads them."""

    def xcom_get_one(self, task_id: str, map_index: int | None, key: str) -> tuple[bool, Any]: ...

    def xcom_get_all(self, task_id: str, key: str) -> list[Any] | None: ...

    def xcom_count(self, task_id: str, key: str) -> int: ...


class RunStore(Protocol):
    async def task_states(self, run_id: str) -> StatesRead:
        """Every task instance of the run, one consistent snapshot (`since` None), with the mark to read the changes
        since from (`cursor`) when the store can tell them."""
        ...

    async def task_state_changes(self, run_id: str, since: int) -> StatesRead | None:
        """The task instances changed since the read that returned `since` as its cursor, with the run's count;
        None when the store cannot tell (then the engine reads them all)."""
        ...

    async def set_states(self, run_id: str, changes: Sequence[StateChange]) -> list[tuple[str, int]]:
        """Applies the compare-and-set changes; returns the (task_id, map_index) of those applied."""
        ...

    async def expand(self, run_id: str, task: Any, length: int) -> bool:
        """Turns the unexpanded instance (-1) of a mapped task into `length` instances (skipped when 0); False when
        it was no longer unexpanded (someone else did it)."""
        ...

    async def xcom_reader(self, run_id: str) -> XComReader:
        """The run's XComs, for measuring expansions."""
        ...

    async def finish_run(self, run_id: str, state: str) -> bool:
        """Ends a running run in `state`; False when it was no longer running."""
        ...

    async def past_run(self, run_id: str, task_ids: Collection[str], *, skip_manual: bool) -> PastRun:
        """The run before `run_id` (by logical date; manual runs left out with `skip_manual`), with the states of
        `task_ids`' instances there, for depends_on_past / wait_for_downstream."""
        ...
