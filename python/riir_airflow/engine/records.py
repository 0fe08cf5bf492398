"""Plain records of a DAG run and its task instances, and an in-memory store of them with XComs.

The run engine works on these; `dags test` keeps them in memory, the DAG app mirrors them to the metastore.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from riir_airflow.authoring import serde

XCOM_RETURN_KEY = "return_value"


@dataclass
class DagRunRecord:
    """One DAG run."""

    dag_id: str
    run_id: str
    run_type: str
    logical_date: dt.datetime | None
    data_interval_start: dt.datetime | None
    data_interval_end: dt.datetime | None
    run_after: dt.datetime
    conf: dict[str, Any] = field(default_factory=dict)
    state: str = "running"
    start_date: dt.datetime | None = None
    end_date: dt.datetime | None = None
    triggered_by: str = "test"
    clear_number: int = 0
    note: str | None = None
    triggering_user_name: str | None = None
    partition_key: str | None = None
    partition_date: dt.datetime | None = None


@dataclass
class TaskInstanceRecord:
    """One task instance (task id + map index) of a run; try_number counts the tries started so far."""

    task_id: str
    map_index: int = -1
    state: str | None = None
    try_number: int = 0
    max_tries: int = 0
    start_date: dt.datetime | None = None
    end_date: dt.datetime | None = None
    next_retry_at: dt.datetime | None = None
    reschedule_at: dt.datetime | None = None
    first_reschedule_date: dt.datetime | None = None
    reschedule_count: int = 0  # how many times a sensor in reschedule mode asked to be poked again
    rendered_fields: dict[str, Any] | None = None
    rendered_map_index: str | None = None
    hostname: str = ""
    pid: int | None = None

    @property
    def key(self) -> tuple[str, int]:
        return self.task_id, self.map_index

    @property
    def duration(self) -> float | None:
        if self.start_date is None or self.end_date is None:
            return None
        return (self.end_date - self.start_date).total_seconds()


class RunStore(Protocol):
    """What the task runtime needs from wherever a run's XComs live (memory, or the DAG app over a channel)."""

    run: DagRunRecord
    task_instances: dict[tuple[str, int], TaskInstanceRecord]

    def xcom_set(self, task_id: str, map_index: int, key: str, value: Any) -> None: ...

    def xcom_clear(self, task_id: str, map_index: int) -> None: ...

    def xcom_get_one(self, task_id: str, map_index: int | None, key: str) -> tuple[bool, Any]: ...

    def xcom_get_all(self, task_id: str, key: str) -> list[Any] | None: ...

    def xcom_count(self, task_id: str, key: str) -> int: ...

    def asset_events(self, **query: Any) -> list[dict[str, Any]]:
        """Recorded asset events for `inlet_events` (query: name, uri, alias_name, after, before, ascending,
        limit), as JSON rows (see engine.asset_events.event_row)."""
        ...

    def hitl_upsert(self, task_id: str, map_index: int, detail: dict[str, Any]) -> None:
        """Records a human-in-the-loop request for the task instance (its answer comes later, from outside)."""
        ...

    def asset_state(self, op: str, **fields: Any) -> Any:
        """`asset_state_store` operations (get -> (found, value), set, delete, clear) on one asset's state:
        fields name, uri, asset (the declared (name, uri) or None), key, value."""
        ...


class InMemoryRunStore:
    """Task instances and XComs of one run, kept in this process (used by `dags test`)."""

    def __init__(self, run: DagRunRecord) -> None:
        self.run = run
        self.task_instances: dict[tuple[str, int], TaskInstanceRecord] = {}
        # (task_id, map_index, key) -> JSON text of the serialized value, as the metastore keeps it.
        self.xcoms: dict[tuple[str, int, str], str] = {}
        # Asset events registered by this run's tasks (`dags test` starts with none, like a fresh metastore).
        self.asset_event_rows: list[dict[str, Any]] = []
        # Human-in-the-loop requests by (task_id, map_index).
        self.hitl_details: dict[tuple[str, int], dict[str, Any]] = {}
        # `asset_state_store` values (JSON text) by asset.
        self.asset_states: dict[str, dict[str, str]] = {}

    def hitl_upsert(self, task_id: str, map_index: int, detail: dict[str, Any]) -> None:
        self.hitl_details[(task_id, map_index)] = dict(detail)

    def asset_state(self, op: str, **fields: Any) -> Any:
        asset = fields.get("asset")
        owner = f"{asset[0]}|{asset[1]}" if asset else f"{fields.get('name') or ''}|{fields.get('uri') or ''}"
        values = self.asset_states.setdefault(owner, {})
        if op == "get":
            raw = values.get(fields["key"])
            return (False, None) if raw is None else (True, json.loads(raw))
        if op == "set":
            values[fields["key"]] = json.dumps(fields["value"])  # stored as JSON, as the metastore keeps it
        elif op == "delete":
            values.pop(fields["key"], None)
        elif op == "clear":
            values.clear()
        else:
            raise ValueError(f"unknown asset state operation {op!r}")
        return None

    # --- asset events ----------------------------------------------------------------------------------------
    def record_asset_events(self, task_id: str, map_index: int, events: list[Any]) -> None:
        from riir_airflow.engine.asset_events import event_row

        source = {"dag_id": self.run.dag_id, "task_id": task_id, "run_id": self.run.run_id, "map_index": map_index}
        now = dt.datetime.now(dt.UTC)
        for event in events:
            self.asset_event_rows.append(event_row(event, len(self.asset_event_rows) + 1, now, source))

    def asset_events(self, **query: Any) -> list[dict[str, Any]]:
        from riir_airflow.engine.asset_events import select_events

        return select_events(self.asset_event_rows, **query)

    # --- XCom ------------------------------------------------------------------------------------------------
    def xcom_set(self, task_id: str, map_index: int, key: str, value: Any) -> None:
        self.xcoms[(task_id, map_index, key)] = json.dumps(serde.serialize(value))

    def xcom_clear(self, task_id: str, map_index: int) -> None:
        for xkey in [k for k in self.xcoms if k[0] == task_id and k[1] == map_index]:
            del self.xcoms[xkey]

    def xcom_get_one(self, task_id: str, map_index: int | None, key: str) -> tuple[bool, Any]:
        """(found, value); map_index None means the unmapped value (-1), as Airflow's get_one does."""
        wanted = -1 if map_index is None else map_index
        raw = self.xcoms.get((task_id, wanted, key))
        if raw is None:
            return False, None
        return True, serde.deserialize(json.loads(raw))

    def xcom_get_all(self, task_id: str, key: str) -> list[Any] | None:
        """Every map index's value, in map index order (None when there is none)."""
        found = sorted((mi, raw) for (t, mi, k), raw in self.xcoms.items() if t == task_id and k == key)
        if not found:
            return None
        return [serde.deserialize(json.loads(raw)) for _, raw in found]

    def xcom_count(self, task_id: str, key: str) -> int:
        return sum(1 for (t, _mi, k) in self.xcoms if t == task_id and k == key)

    def xcom_rows(self) -> list[dict[str, Any]]:
        """Every XCom as stored (the serialized JSON value), sorted by task, map index and key."""
        return [
            {"task_id": t, "map_index": mi, "key": k, "value": json.loads(raw)}
            for (t, mi, k), raw in sorted(self.xcoms.items())
        ]
