"""Typed rows of the metastore. Field names are the column names (Airflow's own, as its REST API returns them).

Datetimes are timezone-aware (UTC) `datetime`s as asyncpg returns them; JSON columns are Python values.
"""

from __future__ import annotations

import dataclasses
import datetime
import types
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from riir_airflow.states import FINISHED_TASK_STATES as FINISHED_TASK_STATES
from riir_airflow.states import StateChange as StateChange
from riir_airflow.states import task_in_run as task_in_run

if TYPE_CHECKING:  # only named in annotations: `dags test` and DAG apps' task code never load the driver for it
    import asyncpg

T = TypeVar("T")

# Airflow's task instance states (airflow.utils.state.TaskInstanceState), None meaning "no status" yet.
TASK_STATES = (
    "scheduled",
    "queued",
    "running",
    "success",
    "restarting",
    "failed",
    "up_for_retry",
    "up_for_reschedule",
    "upstream_failed",
    "skipped",
    "removed",
    "deferred",
    "awaiting_input",
)
DAG_RUN_STATES = ("queued", "running", "success", "failed")
RUN_TYPES = ("manual", "scheduled", "backfill", "asset_triggered", "operator_triggered", "asset_materialization")


def from_row(cls: type[T], row: asyncpg.Record | None, prefix: str = "") -> T:
    """Build a record dataclass from a row holding (at least) its columns, each named `prefix` + its field's name
    (a prefix names apart the columns a join adds: `version_id`, `version_dag_id`, ...)."""
    if row is None:  # only for statements that always return a row (INSERT ... RETURNING)
        raise RuntimeError(f"expected a row for {cls.__name__}, got none")
    build = _BUILDERS.get((cls, prefix))
    if build is None:
        build = _BUILDERS[cls, prefix] = _builder(cls, prefix)
    record: T = build(row)
    return record


_BUILDERS: dict[tuple[type, str], Callable[[asyncpg.Record], Any]] = {}


def _builder(cls: type[T], prefix: str) -> Callable[[asyncpg.Record], T]:
    """Once per class, a function from a row to a record. A frozen dataclass's __init__ sets each field through
    `object.__setattr__` (an attribute lookup and a wrapper call per field, 40 % of a DAG listing's row cost); for a
    slots class without __post_init__ the fields' slot descriptors are set directly, which is what that ends in."""
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    columns = tuple(prefix + name for name in names)
    slots: list[Any] = [cls.__dict__.get(name) for name in names] if "__slots__" in cls.__dict__ else []
    if hasattr(cls, "__post_init__") or not all(isinstance(s, types.MemberDescriptorType) for s in slots) or not slots:

        def build_by_init(row: asyncpg.Record) -> T:
            # Positional arguments in the fields' order (that of the dataclass's __init__): cheaper than keywords.
            return cls(*[row[column] for column in columns])

        return build_by_init
    setters = tuple((column, slot.__set__) for column, slot in zip(columns, slots, strict=True))
    new = object.__new__

    def build(row: asyncpg.Record) -> T:
        record: T = new(cls)
        for column, put in setters:
            put(record, row[column])
        return record

    return build


def from_rows(cls: type[T], rows: Iterable[asyncpg.Record]) -> list[T]:
    return [from_row(cls, row) for row in rows]


class Row(Protocol):
    """Columns by name: an asyncpg row, or a record's fields (`fields_of`). What the broker's views read, so a list
    page of a hundred rows is shown without a record built for each (that building was a fifth of such a page)."""

    def __getitem__(self, column: str, /) -> Any: ...

    def get(self, column: str, /) -> Any: ...


def fields_of(record: Any) -> dict[str, Any]:
    """A record dataclass's fields by name (shallow: its values are not copied), to show it as a `Row`."""
    names = _FIELD_NAMES.get(type(record))
    if names is None:
        names = _FIELD_NAMES[type(record)] = tuple(f.name for f in dataclasses.fields(record))
    return {name: getattr(record, name) for name in names}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing and the number of rows matching the filters (Airflow's `total_entries`)."""

    items: list[T]
    total_entries: int


@dataclass(frozen=True, slots=True)
class TaskInstanceKey:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1


@dataclass(frozen=True, slots=True)
class DagRecord:
    dag_id: str
    dag_display_name: str | None
    description: str | None
    fileloc: str
    relative_fileloc: str | None
    owners: str
    tags: list[str]
    is_paused: bool
    is_stale: bool
    timetable_summary: str | None
    timetable_description: str | None
    max_active_tasks: int
    max_active_runs: int
    max_consecutive_failed_dag_runs: int
    has_task_concurrency_limits: bool
    next_dagrun: datetime.datetime | None
    next_dagrun_data_interval_start: datetime.datetime | None
    next_dagrun_data_interval_end: datetime.datetime | None
    next_dagrun_create_after: datetime.datetime | None
    last_parsed_time: datetime.datetime | None
    app_id: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


@dataclass(frozen=True, slots=True)
class DeployIdentity:
    """Who installed a DAG version and as what: the chart's `deployedBy` (or CI's user), the app's Kubernetes
    ServiceAccount, its image, and the test-deploy environment ("" / None in production)."""

    deployed_by: str | None = None
    service_account: str | None = None
    image: str | None = None
    environment: str | None = None

    @classmethod
    def of(cls, row: Any) -> DeployIdentity:
        return cls(row["deployed_by"], row["service_account"], row["image"], row["environment"])


@dataclass(frozen=True, slots=True)
class DagVersionRecord:
    id: uuid.UUID
    dag_id: str
    version_number: int
    dag_hash: str
    data: Any
    bundle_name: str | None
    bundle_version: str | None
    created_at: datetime.datetime
    # Deploy identity (migration 0004): who installed this version, its ServiceAccount, image and environment.
    deployed_by: str | None = None
    service_account: str | None = None
    image: str | None = None
    environment: str | None = None


@dataclass(frozen=True, slots=True)
class DagRunRecord:
    id: int
    dag_id: str
    run_id: str
    run_type: str
    logical_date: datetime.datetime | None
    data_interval_start: datetime.datetime | None
    data_interval_end: datetime.datetime | None
    run_after: datetime.datetime
    queued_at: datetime.datetime | None
    start_date: datetime.datetime | None
    end_date: datetime.datetime | None
    state: str
    conf: Any
    note: str | None
    triggered_by: str | None
    triggering_user_name: str | None
    dag_version_id: uuid.UUID | None
    backfill_id: int | None
    last_scheduling_decision: datetime.datetime | None
    updated_at: datetime.datetime
    # Partitioned runs (CronPartitionTimetable): the partition the run processes.
    partition_key: str | None = None
    partition_date: datetime.datetime | None = None


@dataclass(frozen=True, slots=True)
class NewTaskInstance:
    """A task instance to create with its run (or when a mapped task expands)."""

    task_id: str
    map_index: int = -1
    state: str | None = None
    max_tries: int = 0
    pool: str = "default_pool"
    pool_slots: int = 1
    queue: str = "default"
    priority_weight: int = 1
    operator: str | None = None
    custom_operator_name: str | None = None
    task_display_name: str | None = None


@dataclass(frozen=True, slots=True)
class TaskInstanceRecord:
    id: uuid.UUID
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    max_tries: int
    state: str | None
    task_display_name: str | None
    operator: str | None
    custom_operator_name: str | None
    pool: str
    pool_slots: int
    queue: str
    priority_weight: int
    scheduled_dttm: datetime.datetime | None
    queued_dttm: datetime.datetime | None
    start_date: datetime.datetime | None
    end_date: datetime.datetime | None
    duration: float | None
    hostname: str
    pid: int | None
    app_id: str | None
    last_heartbeat_at: datetime.datetime | None
    next_method: str | None
    next_kwargs: Any
    rendered_fields: Any
    rendered_map_index: str | None
    note: str | None
    dag_version_id: uuid.UUID | None
    updated_at: datetime.datetime

    @property
    def key(self) -> TaskInstanceKey:
        return TaskInstanceKey(self.dag_id, self.run_id, self.task_id, self.map_index)


@dataclass(frozen=True, slots=True)
class TaskInstanceHistoryRecord:
    id: int
    task_instance_id: uuid.UUID
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    max_tries: int
    state: str | None
    task_display_name: str | None
    operator: str | None
    pool: str
    pool_slots: int
    queue: str
    priority_weight: int
    scheduled_dttm: datetime.datetime | None
    queued_dttm: datetime.datetime | None
    start_date: datetime.datetime | None
    end_date: datetime.datetime | None
    duration: float | None
    hostname: str
    pid: int | None
    app_id: str | None
    rendered_fields: Any
    dag_version_id: uuid.UUID | None
    updated_at: datetime.datetime


@dataclass(frozen=True, slots=True)
class XComRecord:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    key: str
    value: Any
    timestamp: datetime.datetime


@dataclass(frozen=True, slots=True)
class LogLine:
    id: int
    try_number: int
    timestamp: datetime.datetime
    stream: str
    line: str


@dataclass(frozen=True, slots=True)
class AppRecord:
    id: str
    name: str
    dag_ids: list[str]
    code_hash: str
    version: str | None
    hostname: str
    pid: int | None
    state: str
    started_at: datetime.datetime
    last_heartbeat: datetime.datetime


@dataclass(frozen=True, slots=True)
class PoolRecord:
    id: int
    pool: str
    slots: int
    description: str | None
    include_deferred: bool


@dataclass(frozen=True, slots=True)
class PoolUsage:
    """A pool with its slots in use, as Airflow's pool endpoint reports them (-1 slots means unlimited)."""

    pool: str
    slots: int
    description: str | None
    include_deferred: bool
    running_slots: int
    queued_slots: int
    scheduled_slots: int
    deferred_slots: int

    @property
    def occupied_slots(self) -> int:
        return self.running_slots + self.queued_slots + (self.deferred_slots if self.include_deferred else 0)

    @property
    def open_slots(self) -> int | float:
        return float("inf") if self.slots == -1 else self.slots - self.occupied_slots


@dataclass(frozen=True, slots=True)
class AssetRecord:
    id: int
    name: str
    uri: str
    group: str
    extra: Any
    created_at: datetime.datetime
    updated_at: datetime.datetime


@dataclass(frozen=True, slots=True)
class AssetEventRecord:
    id: int
    asset_id: int
    extra: Any
    source_dag_id: str | None
    source_task_id: str | None
    source_run_id: str | None
    source_map_index: int | None
    timestamp: datetime.datetime


@dataclass(frozen=True, slots=True)
class BackfillRecord:
    id: int
    dag_id: str
    from_date: datetime.datetime
    to_date: datetime.datetime
    dag_run_conf: Any
    is_paused: bool
    reprocess_behavior: str
    max_active_runs: int
    run_backwards: bool
    triggering_user_name: str | None
    created_at: datetime.datetime
    completed_at: datetime.datetime | None
    updated_at: datetime.datetime


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    dttm: datetime.datetime
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    map_index: int | None
    try_number: int | None
    event: str
    logical_date: datetime.datetime | None
    owner: str | None
    extra: Any


@dataclass(frozen=True, slots=True)
class VariableRecord:
    """A variable with its value decrypted."""

    key: str
    val: str | None
    description: str | None
    is_encrypted: bool


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    """A connection with password and extra decrypted."""

    conn_id: str
    conn_type: str
    description: str | None = None
    host: str | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = None
    port: int | None = None
    extra: str | None = None
    is_encrypted: bool = False
    is_extra_encrypted: bool = False
