"""What a try and its app say to each other, as typed records: nothing else crosses the channel between a task
process and its DAG app (the role Airflow's Execution API plays).

- `Claim`: what a task process is told to run (one try of one task instance).
- `TryResult`: what a try reports back (its end state, XComs, skips, a deferral, ...).
- Channel messages: the requests a task process sends its app and the `Reply` it gets. `to_wire` / `from_wire`
  turn them into the JSON objects the channel carries (`{"op": ...}`).

Values that user code produced (XComs, trigger kwargs, conf) travel in Airflow's serde form (JSON-safe), never as
live objects: a message can always be encoded. The states and the engine's own records are in `vocabulary.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pendulum

from riir_airflow.engine.vocabulary import PreviousSuccess


@dataclass(frozen=True, slots=True)
class Claim:
    """One try a task process runs: the task instance, which try, and how a resumed deferral continues."""

    task_id: str
    map_index: int
    try_number: int
    max_tries: int
    next_method: str | None = None
    next_kwargs: Any = None  # serde form, as stored with the task instance
    group_map_index: int | None = None  # the index of the mapped task group the task sits in, if any
    reschedule_count: int = 0  # a sensor in reschedule mode: how often it was rescheduled so far
    first_reschedule_date: dt.datetime | None = None  # and when its first poke started (for its timeout)
    previous_success: PreviousSuccess | None = None  # the run's previous successful run, if any


@dataclass(frozen=True, slots=True)
class Deferral:
    """A try that deferred: the trigger to run and how to resume the task when it fires."""

    classpath: str
    kwargs: Any  # serde form of the trigger's kwargs
    method_name: str
    next_kwargs: Any  # serde form
    timeout: float | None = None  # seconds


@dataclass(frozen=True, slots=True)
class AwaitingInput:
    """A human-in-the-loop try parked for input: how to resume it, and the response deadline."""

    method_name: str
    next_kwargs: Any  # serde form
    timeout: float | None = None  # seconds


@dataclass(frozen=True, slots=True)
class CacheUse:
    """How a `cache="file"` task's try used the per-file cache. A hit did not run the task: it ends `success`, with
    `note` as the task instance note and a `cached` event (Airflow has no "cached" state)."""

    hit: bool
    key: str
    source: dict[str, Any]  # dag_id, run_id, task_id, map_index, try_number of the try whose output was reused
    restored: int = 0  # output files put back from the cache's copies
    note: str | None = None


@dataclass(frozen=True, slots=True)
class TryResult:
    """How a try ended and what it asks the engine to do next."""

    state: str
    xcoms: dict[str, Any] = field(default_factory=dict)  # key -> serde form
    rendered_fields: dict[str, Any] | None = None
    rendered_map_index: str | None = None
    skip_tasks: tuple[tuple[str, int], ...] = ()
    error: str | None = None  # "ExceptionType: message", for the task log
    reschedule_date: dt.datetime | None = None
    deferral: Deferral | None = None
    awaiting_input: AwaitingInput | None = None
    # Asset events a successful try registers (engine.asset_events.EventToRegister.as_json()).
    asset_events: tuple[dict[str, Any], ...] = ()
    cache: CacheUse | None = None


# --- the channel between a task process and its app ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class XComGetOne:
    """One XCom of a task instance: of this run unless `dag_id` / `run_id` say otherwise; with
    `include_prior_dates`, the latest from this or an earlier run of that DAG."""

    OP: ClassVar[str] = "xcom_get_one"
    task_id: str
    map_index: int
    key: str
    dag_id: str | None = None
    run_id: str | None = None
    include_prior_dates: bool = False


@dataclass(frozen=True, slots=True)
class XComGetAll:
    """Every map index's XCom of a task (in map index order): of this run unless `dag_id` / `run_id` say otherwise;
    with `include_prior_dates`, those of this and the earlier runs of that DAG too."""

    OP: ClassVar[str] = "xcom_get_all"
    task_id: str
    key: str
    dag_id: str | None = None
    run_id: str | None = None
    include_prior_dates: bool = False


@dataclass(frozen=True, slots=True)
class XComCount:
    OP: ClassVar[str] = "xcom_count"
    task_id: str
    key: str


@dataclass(frozen=True, slots=True)
class GetVariable:
    OP: ClassVar[str] = "variable"
    key: str


@dataclass(frozen=True, slots=True)
class GetConnection:
    OP: ClassVar[str] = "connection"
    conn_id: str


@dataclass(frozen=True, slots=True)
class SetVariable:
    OP: ClassVar[str] = "set_variable"
    key: str
    value: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteVariable:
    OP: ClassVar[str] = "delete_variable"
    key: str


@dataclass(frozen=True, slots=True)
class GetAssetEvents:
    """Recorded asset events of an asset (or of those emitted through an alias), for `inlet_events`."""

    OP: ClassVar[str] = "asset_events"
    name: str | None = None
    uri: str | None = None
    alias_name: str | None = None
    after: str | None = None
    before: str | None = None
    ascending: bool = True
    limit: int | None = None
    triggering: bool = False  # the events that triggered the try's run (`triggering_asset_events`) instead


@dataclass(frozen=True, slots=True)
class AssetStateOp:
    """One `asset_state_store` operation (get, set, delete, clear) on an asset's state."""

    OP: ClassVar[str] = "asset_state"
    state_op: str
    name: str | None = None
    uri: str | None = None
    asset: list[str] | None = None  # the declared (name, uri), when the DAG declares the asset
    key: str | None = None
    value: Any = None


@dataclass(frozen=True, slots=True)
class TaskStateOp:
    """One `task_state_store` operation (get, set, delete, clear) on the try's own task instance."""

    OP: ClassVar[str] = "task_state"
    state_op: str
    key: str | None = None
    value: Any = None
    expires_at: str | None = None  # ISO 8601, UTC; None: never expires


@dataclass(frozen=True, slots=True)
class GetInactiveAssets:
    """Of the try's inlet and outlet assets ([name, uri] pairs), those that are not active."""

    OP: ClassVar[str] = "inactive_assets"
    keys: list[list[str]]


@dataclass(frozen=True, slots=True)
class UpsertHITLDetail:
    """A human-in-the-loop task's request (subject, options, defaults, params...) for its try."""

    OP: ClassVar[str] = "hitl_upsert"
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TriggerDagRun:
    """TriggerDagRunOperator, during its try: create a run of another DAG now (so the task can wait for it).
    The reply is `{"outcome": "created" | "reset" | "exists" | "refused"}`: with `reset_dag_run` an existing run
    is cleared and runs again ("reset"); without it the task skips or fails ("exists")."""

    OP: ClassVar[str] = "trigger_dag_run"
    dag_id: str
    run_id: str
    logical_date: str | None = None  # ISO 8601
    conf: dict[str, Any] | None = None
    reset_dag_run: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class GetDagRunState:
    """The state of a run of any DAG (None if there is no such run): TriggerDagRunOperator waiting for it."""

    OP: ClassVar[str] = "dag_run_state"
    dag_id: str
    run_id: str


@dataclass(frozen=True, slots=True)
class CountExternal:
    """ExternalTaskSensor: of another DAG's runs at `logical_dates`, how many task instances (of `task_ids`, or of
    the task group `group_id`) are in `states`; with neither, how many of those runs are."""

    OP: ClassVar[str] = "external_count"
    dag_id: str
    logical_dates: list[str]  # ISO 8601
    states: list[str]
    task_ids: list[str] | None = None
    group_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReportResult:
    """The last message of a try: its result (no reply)."""

    OP: ClassVar[str] = "result"
    result: TryResult


Request = (
    XComGetOne
    | XComGetAll
    | XComCount
    | GetVariable
    | GetConnection
    | SetVariable
    | DeleteVariable
    | GetAssetEvents
    | AssetStateOp
    | TaskStateOp
    | GetInactiveAssets
    | UpsertHITLDetail
    | TriggerDagRun
    | GetDagRunState
    | CountExternal
)
Message = Request | ReportResult

_MESSAGES: dict[str, type[Any]] = {
    cls.OP: cls
    for cls in (
        XComGetOne,
        XComGetAll,
        XComCount,
        GetVariable,
        GetConnection,
        SetVariable,
        DeleteVariable,
        GetAssetEvents,
        AssetStateOp,
        TaskStateOp,
        GetInactiveAssets,
        UpsertHITLDetail,
        TriggerDagRun,
        GetDagRunState,
        CountExternal,
        ReportResult,
    )
}


@dataclass(frozen=True, slots=True)
class Reply:
    """The app's answer to a request: a value, or the error that stopped it."""

    value: Any = None
    error: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {"error": self.error} if self.error is not None else {"value": self.value}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Reply:
        return cls(value=data.get("value"), error=data.get("error"))


def _result_to_wire(result: TryResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    data["skip_tasks"] = [list(k) for k in result.skip_tasks]
    data["reschedule_date"] = None if result.reschedule_date is None else result.reschedule_date.isoformat()
    return data


def _result_from_wire(data: dict[str, Any]) -> TryResult:
    when = data.get("reschedule_date")
    parsed = pendulum.parse(when) if when else None
    deferral, awaiting = data.get("deferral"), data.get("awaiting_input")
    return TryResult(
        state=str(data["state"]),
        xcoms=dict(data.get("xcoms") or {}),
        rendered_fields=data.get("rendered_fields"),
        rendered_map_index=data.get("rendered_map_index"),
        skip_tasks=tuple((str(t), int(i)) for t, i in data.get("skip_tasks") or ()),
        error=data.get("error"),
        reschedule_date=parsed if isinstance(parsed, dt.datetime) else None,
        deferral=Deferral(**deferral) if deferral else None,
        awaiting_input=AwaitingInput(**awaiting) if awaiting else None,
        asset_events=tuple(dict(e) for e in data.get("asset_events") or ()),
        cache=CacheUse(**data["cache"]) if data.get("cache") else None,
    )


def to_wire(message: Message) -> dict[str, Any]:
    """The JSON object the channel carries for a message."""
    if isinstance(message, ReportResult):
        return {"op": ReportResult.OP, "result": _result_to_wire(message.result)}
    return {"op": message.OP, **dataclasses.asdict(message)}


def from_wire(data: dict[str, Any]) -> Message:
    """The message a channel object holds; ValueError names what is wrong with it."""
    op = data.get("op")
    cls = _MESSAGES.get(str(op))
    if cls is None:
        raise ValueError(f"unknown channel request {op!r}")
    if cls is ReportResult:
        return ReportResult(_result_from_wire(dict(data["result"])))
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - fields - {"op"}
    if unknown:
        raise ValueError(f"channel request {op!r} has unknown fields {sorted(unknown)}")
    try:
        message: Message = cls(**{k: v for k, v in data.items() if k != "op"})
    except TypeError as exc:
        raise ValueError(f"channel request {op!r}: {exc}") from None
    return message
