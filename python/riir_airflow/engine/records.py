"""Plain records of a DAG run and its task instances, and an in-memory store of them with XComs.

The run engine works on these; `dags test` keeps them in memory, the DAG app mirrors them to the metastore.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from riir_airflow.authoring import serde
from riir_airflow.engine.vocabulary import PreviousSuccess
from riir_airflow.schedules.asset_activation import ActiveAssets

XCOM_RETURN_KEY = "return_value"

# The fields of a task instance the engine plans from (`TiSnapshot`): a record kept in a `TaskInstances` mapping
# logs its key there whenever one of them is set, so `dags test` re-reads only what changed (engine/memory_store.py).
PLANNED_FIELDS = frozenset({"state", "try_number", "end_date", "reschedule_at"})


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
    note: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return self.task_id, self.map_index

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in PLANNED_FIELDS:
            changes = self.__dict__.get("_changes")  # set by the TaskInstances mapping that holds it, if any
            if changes is not None:
                changes.append((self.task_id, self.map_index))

    @property
    def duration(self) -> float | None:
        if self.start_date is None or self.end_date is None:
            return None
        return (self.end_date - self.start_date).total_seconds()


class OtherDags(Protocol):
    """Other DAGs' runs, as a task sees them through its app (TriggerDagRunOperator, ExternalTaskSensor)."""

    def trigger_dag_run(
        self, dag_id: str, run_id: str, *, logical_date: Any, conf: Any, reset_dag_run: bool, note: str | None
    ) -> str:
        """Creates the run now: "created", "reset" (existed, cleared), "exists" or "refused" (not granted)."""
        ...

    def dag_run_state(self, dag_id: str, run_id: str) -> str | None: ...

    def count_external(
        self,
        dag_id: str,
        logical_dates: list[Any],
        states: list[str],
        task_ids: list[str] | None,
        group_id: str | None,
    ) -> float:
        """Airflow's ExternalTaskSensor count: per run at `logical_dates`, the share of the tasks (or of the
        group's tasks) in `states`, summed; with neither, the number of those runs in `states`."""
        ...


class RunStore(Protocol):
    """What the task runtime needs from wherever a run's XComs live (memory, or the DAG app over a channel)."""

    run: DagRunRecord
    # None where there are no other DAGs to reach (`dags test` runs one DAG in memory).
    other_dags: OtherDags | None

    @property
    def task_instances(self) -> dict[tuple[str, int], TaskInstanceRecord]: ...

    def previous_success(self) -> PreviousSuccess | None:
        """The latest successful run of the DAG before this one (by logical date), for `prev_*_success`."""
        ...

    def xcom_set(self, task_id: str, map_index: int, key: str, value: Any) -> None: ...

    def xcom_clear(self, task_id: str, map_index: int) -> None: ...

    def xcom_get_one(
        self,
        task_id: str,
        map_index: int | None,
        key: str,
        *,
        dag_id: str | None = None,
        run_id: str | None = None,
        include_prior_dates: bool = False,
    ) -> tuple[bool, Any]: ...

    def xcom_get_all(
        self,
        task_id: str,
        key: str,
        *,
        dag_id: str | None = None,
        run_id: str | None = None,
        include_prior_dates: bool = False,
    ) -> list[Any] | None: ...

    def xcom_count(self, task_id: str, key: str) -> int: ...

    def asset_events(self, **query: Any) -> list[dict[str, Any]]:
        """Recorded asset events for `inlet_events` (query: name, uri, alias_name, after, before, ascending,
        limit), as JSON rows (see engine.asset_events.event_row); with `triggering=True`, the events that
        triggered this run (`triggering_asset_events`)."""
        ...

    def hitl_upsert(self, task_id: str, map_index: int, detail: dict[str, Any]) -> None:
        """Records a human-in-the-loop request for the task instance (its answer comes later, from outside)."""
        ...

    def asset_state(self, op: str, **fields: Any) -> Any:
        """`asset_state_store` operations (get -> (found, value), set, delete, clear) on one asset's state:
        fields name, uri, asset (the declared (name, uri) or None), key, value."""
        ...

    def task_state(
        self, task_id: str, map_index: int, op: str, key: str | None = None, value: Any = None,
        expires_at: str | None = None,
    ) -> Any:  # fmt: skip
        """`task_state_store` operations (get -> (found, value), set, delete, clear) on a try's own task instance;
        `expires_at` an ISO 8601 UTC time or None (never). A store that serves one try may ignore the task."""
        ...

    def inactive_assets(self, keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Of these (name, uri) assets of the try's inlets and outlets, those that are not active (another asset
        with the same name or URI is): the try fails before it runs, as in Airflow."""
        ...


class RunHistory:
    """The runs `dags test` made in this process, when the caller keeps them (Airflow's `dags test` keeps its runs in
    its database): what depends_on_past, the `prev_*_success` context values and `xcom_pull` across runs read.

    `dag.test()` starts each run with an empty history, like Airflow's on a fresh database; tests that drive several
    runs share one.
    """

    def __init__(self) -> None:
        self.stores: dict[tuple[str, str], InMemoryRunStore] = {}

    def add(self, store: InMemoryRunStore) -> None:
        self.stores[(store.run.dag_id, store.run.run_id)] = store
        store.history = self

    def runs_of(self, dag_id: str) -> list[InMemoryRunStore]:
        """The DAG's runs, oldest logical date (or run_after) first."""
        found = [s for (d, _), s in self.stores.items() if d == dag_id]
        return sorted(found, key=lambda s: s.run.logical_date or s.run.run_after)

    def get(self, dag_id: str, run_id: str) -> InMemoryRunStore | None:
        return self.stores.get((dag_id, run_id))

    def before(self, run: DagRunRecord, *, skip_manual: bool = False) -> list[InMemoryRunStore]:
        """The DAG's runs with a logical date before `run`'s, latest first (none when `run` has no logical date)."""
        if run.logical_date is None:
            return []
        earlier = [
            s
            for s in self.runs_of(run.dag_id)
            if s.run.logical_date is not None
            and s.run.logical_date < run.logical_date
            and not (skip_manual and s.run.run_type == "manual")
        ]
        return earlier[::-1]


class TaskInstances(dict[tuple[str, int], TaskInstanceRecord]):
    """A run's task instance records by (task_id, map_index), with the log of what changed, in order: the key of
    every record added (`[key] = record`), deleted (`del`), or whose planned fields were set since
    (`TaskInstanceRecord.__setattr__`). A reader that saw `n` entries finds what changed since in `changes[n:]`."""

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[tuple[str, int]] = []

    def __setitem__(self, key: tuple[str, int], record: TaskInstanceRecord) -> None:
        super().__setitem__(key, record)
        object.__setattr__(record, "_changes", self.changes)
        self.changes.append(key)

    def __delitem__(self, key: tuple[str, int]) -> None:
        super().__delitem__(key)
        self.changes.append(key)


class InMemoryRunStore:
    """Task instances and XComs of one run, kept in this process (used by `dags test`)."""

    def __init__(self, run: DagRunRecord, history: RunHistory | None = None) -> None:
        self.run = run
        self.history: RunHistory | None = None
        if history is not None:
            history.add(self)
        self.task_instances = TaskInstances()
        self.other_dags: OtherDags | None = None
        # (task_id, map_index, key) -> JSON text of the serialized value, as the metastore keeps it.
        self.xcoms: dict[tuple[str, int, str], str] = {}
        # Asset events registered by this run's tasks (`dags test` starts with none, like a fresh metastore).
        self.asset_event_rows: list[dict[str, Any]] = []
        # Human-in-the-loop requests by (task_id, map_index).
        self.hitl_details: dict[tuple[str, int], dict[str, Any]] = {}
        # `asset_state_store` values (JSON text) by asset.
        self.asset_states: dict[str, dict[str, str]] = {}
        # `task_state_store` values (JSON text) by (task_id, map_index): shared by the tries of this run.
        self.task_states: dict[tuple[str, int], dict[str, str]] = {}
        # The active assets (schedules/asset_activation.py) as `dags test` recorded the DAG folder; None: every
        # asset is active (a DAG run on its own, with no other DAG to share an asset's name or URI with).
        self.active_assets: ActiveAssets | None = None

    def inactive_assets(self, keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [] if self.active_assets is None else self.active_assets.inactive(keys)

    def hitl_upsert(self, task_id: str, map_index: int, detail: dict[str, Any]) -> None:
        self.hitl_details[(task_id, map_index)] = dict(detail)

    def previous_success(self) -> PreviousSuccess | None:
        if self.history is None:
            return None
        for earlier in self.history.before(self.run):
            if earlier.run.state == "success":
                run = earlier.run
                return PreviousSuccess(run.data_interval_start, run.data_interval_end, run.start_date, run.end_date)
        return None

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

    def task_state(
        self, task_id: str, map_index: int, op: str, key: str | None = None, value: Any = None,
        expires_at: str | None = None,
    ) -> Any:  # fmt: skip
        # `dags test` runs every try in this process: expiry (days away) never comes up, so it is not kept.
        values = self.task_states.setdefault((task_id, map_index), {})
        if op == "get":
            raw = values.get(key or "")
            return (False, None) if raw is None else (True, json.loads(raw))
        if op == "set":
            values[key or ""] = json.dumps(value)  # stored as JSON, as the metastore keeps it
        elif op == "delete":
            values.pop(key or "", None)
        elif op == "clear":
            values.clear()
        else:
            raise ValueError(f"unknown task state operation {op!r}")
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

        if query.pop("triggering", False):
            return []  # a run of `dags test` is never asset-triggered
        return select_events(self.asset_event_rows, **query)

    # --- XCom ------------------------------------------------------------------------------------------------
    def xcom_set(self, task_id: str, map_index: int, key: str, value: Any) -> None:
        self.xcoms[(task_id, map_index, key)] = json.dumps(serde.serialize(value))

    def xcom_clear(self, task_id: str, map_index: int) -> None:
        for xkey in [k for k in self.xcoms if k[0] == task_id and k[1] == map_index]:
            del self.xcoms[xkey]

    def _runs_for(self, dag_id: str | None, run_id: str | None, include_prior_dates: bool) -> list[InMemoryRunStore]:
        """The runs an XCom read looks in, latest first (Airflow's XComModel.get_many): the named run, and with
        include_prior_dates every run of its DAG whose logical date (or run_after) is not after that run's."""
        dag = dag_id or self.run.dag_id
        rid = run_id or self.run.run_id
        own = dag == self.run.dag_id and rid == self.run.run_id
        target = self if own else self.history.get(dag, rid) if self.history is not None else None
        if target is None:
            return []
        if not include_prior_dates or self.history is None:
            return [target]
        limit = target.run.logical_date or target.run.run_after
        earlier = [s for s in self.history.runs_of(dag) if (s.run.logical_date or s.run.run_after) <= limit]
        if target not in earlier:
            earlier.append(target)
        # Latest logical date first; runs without one first, as PostgreSQL sorts NULLs in a descending order.
        return sorted(earlier, key=lambda s: (s.run.logical_date is None, s.run.logical_date or limit), reverse=True)

    def xcom_get_one(
        self,
        task_id: str,
        map_index: int | None,
        key: str,
        *,
        dag_id: str | None = None,
        run_id: str | None = None,
        include_prior_dates: bool = False,
    ) -> tuple[bool, Any]:
        """(found, value); map_index None means the unmapped value (-1), as Airflow's get_one does."""
        wanted = -1 if map_index is None else map_index
        for store in self._runs_for(dag_id, run_id, include_prior_dates):
            raw = store.xcoms.get((task_id, wanted, key))
            if raw is not None:
                return True, serde.deserialize(json.loads(raw))
        return False, None

    def xcom_get_all(
        self,
        task_id: str,
        key: str,
        *,
        dag_id: str | None = None,
        run_id: str | None = None,
        include_prior_dates: bool = False,
    ) -> list[Any] | None:
        """Every map index's value, in map index order (None when there is none); with include_prior_dates, those
        of the earlier runs too (the earliest run's first among equal map indexes, as Airflow returns them)."""
        found = [
            (mi, raw)
            for store in reversed(self._runs_for(dag_id, run_id, include_prior_dates))
            for (t, mi, k), raw in store.xcoms.items()
            if t == task_id and k == key
        ]
        if not found:
            return None
        found.sort(key=lambda item: item[0])  # stable: oldest run first among equal map indexes
        return [serde.deserialize(json.loads(raw)) for _, raw in found]

    def xcom_count(self, task_id: str, key: str) -> int:
        return sum(1 for (t, _mi, k) in self.xcoms if t == task_id and k == key)

    def xcom_rows(self) -> list[dict[str, Any]]:
        """Every XCom as stored (the serialized JSON value), sorted by task, map index and key."""
        return [
            {"task_id": t, "map_index": mi, "key": k, "value": json.loads(raw)}
            for (t, mi, k), raw in sorted(self.xcoms.items())
        ]
