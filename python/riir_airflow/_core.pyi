# Hand-written stub for the compiled extension (rust/riir_py). Checked by `mypy.stubtest` in `make lint`.

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypedDict, final

__all__ = [
    "ContentHasher",
    "Cron",
    "Graph",
    "Planner",
    "RunPlan",
    "TaskDocuments",
    "TiKeys",
    "Timetable",
    "__version__",
    "check_datum_glob",
    "layout",
    "plain_json",
    "plan_backfill",
    "read_stored_manifest",
    "select_datums",
    "snapshot_directory",
    "store_listed_manifest",
    "stored_manifest_diff",
]
__version__: str

@final
class Graph:
    """A directed graph of task ids; every ordering it returns breaks ties by insertion order."""

    def __new__(cls, task_ids: list[str] = ..., edges: list[tuple[str, str]] = ...) -> Graph: ...
    def __len__(self) -> int: ...
    def add_task(self, task_id: str) -> None: ...
    def add_edge(self, upstream: str, downstream: str) -> None: ...
    def task_ids(self) -> list[str]: ...
    def downstream(self, task_id: str) -> list[str]: ...
    def upstream(self, task_id: str) -> list[str]: ...
    def find_cycle(self) -> str | None: ...
    def topological_order(self) -> list[str]: ...
    def upstream_closure(self, task_id: str) -> list[str]: ...
    def downstream_closure(self, task_id: str) -> list[str]: ...
    def roots(self) -> list[str]: ...
    def leaves(self) -> list[str]: ...
    def subset(
        self, task_ids: list[str], include_upstream: bool = False, include_downstream: bool = False
    ) -> Graph: ...

class _PlanResult(TypedDict):
    to_run: list[tuple[str, int]]
    to_skip: list[tuple[str, int]]
    to_upstream_failed: list[tuple[str, int]]
    to_remove: list[tuple[str, int]]
    expanded: list[tuple[str, int]]
    run_state: Literal["running", "success", "failed"]

@final
class Planner:
    """One Airflow scheduling pass per call: what starts, what is skipped / upstream_failed / removed, run state.

    `tasks`: one mapping per task with `task_id` and optionally `trigger_rule`, `is_setup`, `is_teardown`,
    `on_failure_fail_dagrun`, `priority_weight`, `weight_rule`, `mapped_group` (innermost mapped task group id) or
    `mapped_groups` (innermost first), `is_mapped`, `mapped_dependencies` (tasks a mapped task expands over),
    `depends_on_past`, `max_active_tis_per_dag`, `max_active_tis_per_dagrun`. `mapped_group_dependencies`: per mapped
    group, the tasks its expand input reads. `plan(states)`: every existing task instance as
    (task_id, map_index, state or None); decisions come from that one snapshot, so apply them all and call again.
    """

    def __new__(
        cls,
        tasks: Sequence[Mapping[str, Any]],
        edges: Sequence[tuple[str, str]] = ...,
        mapped_group_dependencies: Mapping[str, Sequence[str]] | None = None,
        dag_id: str = "",
    ) -> Planner: ...
    def plan(
        self, states: Sequence[tuple[str, int, str | None]], expand: Callable[[str], int | None] | None = None
    ) -> _PlanResult: ...
    def priority_weight(self, task_id: str) -> int: ...
    def leaves(self) -> list[str]: ...
    def task_ids(self) -> list[str]: ...
    def __len__(self) -> int: ...

@final
class TiKeys:
    """Task instance keys of a plan; each (task_id, map_index) tuple is made when read."""

    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> tuple[str, int]: ...
    def __iter__(self) -> Iterator[tuple[str, int]]: ...

class _RunPlanResult(TypedDict):
    to_run: TiKeys
    to_run_without_slot: list[tuple[str, int]]
    to_skip: list[tuple[str, int]]
    to_upstream_failed: list[tuple[str, int]]
    to_remove: list[tuple[str, int]]
    expanded: list[tuple[str, int]]
    run_state: Literal["running", "success", "failed"]

@final
class RunPlan:
    """The planner state of one DAG run across loop turns: `update` / `remove` give it what changed since the last
    turn, `plan()` decides again only what that can affect (same result as `Planner.plan()` on every task instance).
    `slot_free_tasks`: tasks whose instances take no run slot when started (`to_run_without_slot` lists them, with
    expansions and tries waiting for a retry or reschedule)."""

    def __new__(cls, planner: Planner, slot_free_tasks: Sequence[str] = ...) -> RunPlan: ...
    def update(self, changes: Iterable[tuple[str, int, str | None]]) -> None: ...
    def remove(self, keys: Sequence[tuple[str, int]]) -> None: ...
    def plan(self) -> _RunPlanResult: ...
    def state(self, task_id: str, map_index: int) -> str | None: ...
    def count(self, states: Iterable[str | None], task_id: str | None = None) -> int: ...
    def __len__(self) -> int: ...

# --- schedules (rust/riir_py/src/schedule.rs). Instants are epoch microseconds (UTC); "naive" values are a wall
# clock read as UTC. Errors are raised as riir_airflow.exceptions.AirflowTimetableInvalid.

@final
class Cron:
    """A cron expression with croniter's semantics."""

    def __new__(cls, expression: str) -> Cron: ...
    @property
    def expression(self) -> str: ...
    @property
    def covers_every_hour(self) -> bool: ...
    @property
    def field_count(self) -> int: ...
    def next_naive(self, starts: list[int]) -> list[int | None]: ...
    def prev_naive(self, starts: list[int]) -> list[int | None]: ...
    def next_in_zone(self, timezone: str, current: int, n: int) -> list[int]: ...
    def prev_in_zone(self, timezone: str, current: int, n: int) -> list[int]: ...
    def align(self, timezone: str, current: int, forward: bool) -> int: ...

@final
class Timetable:
    """A periodic timetable computed in Rust; deltas are ("fixed", [us]) or ("relative", [17 relativedelta fields])."""

    @staticmethod
    def cron_data_interval(expression: str, timezone: str) -> Timetable: ...
    @staticmethod
    def cron_trigger(
        expressions: list[str], timezone: str, interval: tuple[str, list[int | None]], run_immediately: tuple[str, int]
    ) -> Timetable: ...
    @staticmethod
    def delta_data_interval(delta: tuple[str, list[int | None]]) -> Timetable: ...
    @staticmethod
    def delta_trigger(delta: tuple[str, list[int | None]], interval: tuple[str, list[int | None]]) -> Timetable: ...
    def next_dagrun_infos(
        self,
        last: tuple[int, int] | None,
        earliest: int | None,
        latest: int | None,
        catchup: bool,
        now: int,
        n: int = 1,
    ) -> tuple[list[tuple[int, int, int]], str | None]: ...
    def backfill_infos(
        self, from_date: int, to_date: int, now: int, run_backwards: bool, limit: int = 1000000
    ) -> list[tuple[int, int, int]]: ...
    def infer_manual_data_interval(self, run_after: int) -> tuple[int, int]: ...

def plan_backfill(
    logical_dates: list[int], existing: list[tuple[int, str]], reprocess_behavior: str, run_backwards: bool
) -> list[tuple[int, str]]: ...

_Rect = tuple[float, float, float, float]

def layout(
    nodes: list[tuple[str, float, float, str | None]],
    edges: list[tuple[str, str]],
    groups: list[tuple[str, str | None]],
) -> tuple[
    list[tuple[str, _Rect]], list[tuple[str, _Rect]], list[tuple[str, str, list[tuple[float, float]]]], float, float
]:
    """Layered left-to-right layout: nodes (id, width, height, group), edges (source, target), groups (id, parent)
    in; (nodes [(id, (x, y, w, h))], group boxes, edges [(source, target, points)], width, height) out."""

@final
class TaskDocuments:
    """Builds the part of a serialized task's document every task has (see riir_airflow.serialization)."""

    def __new__(
        cls,
        keys: Iterable[str],
        weight_rule_type: type,
        weight_rule: Callable[[Any], Any],
        asset_list: Callable[[Any], list[Any]],
        default: Callable[[Any], Any],
    ) -> TaskDocuments: ...
    def build(self, task: Any, class_parts: dict[str, Any], iso: Callable[[Any], str | None]) -> dict[str, Any]:
        """The document of `task` (values plain JSON); `class_parts` holds what comes from its class."""

def plain_json(value: Any, default: Callable[[Any], Any] | None = None) -> Any:
    """What `json.loads(json.dumps(value, default=default))` returns, without the text in between."""

def check_datum_glob(datum_glob: str) -> None: ...
def snapshot_directory(
    root: str | os.PathLike[str], datum_glob: str, memo_path: str | os.PathLike[str], objects: str | os.PathLike[str]
) -> tuple[str, int, int]: ...
def stored_manifest_diff(
    objects: str | os.PathLike[str], old_id: str | None, new_id: str
) -> tuple[list[str], list[str], list[str]]: ...
def read_stored_manifest(objects: str | os.PathLike[str], manifest_id: str) -> dict[str, tuple[str, int]]: ...
def store_listed_manifest(objects: str | os.PathLike[str], files: list[tuple[str, str, int]]) -> str: ...
def select_datums(datum_glob: str, relpaths: list[str]) -> list[str]: ...

@final
class ContentHasher:
    """A streaming BLAKE3 hash; `hexdigest()` is spelled like a manifest's hashes."""

    def __init__(self) -> None: ...
    def update(self, data: bytes) -> None: ...
    def hexdigest(self) -> str: ...
