"""The task instance a running task sees (`ti` in the context) and the template context built around it."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterable, Iterator, Sequence
from itertools import product
from typing import Any

import pendulum

from riir_airflow.authoring import macros as macros_module
from riir_airflow.authoring.connection import Connection
from riir_airflow.authoring.notset import NOTSET, is_arg_set
from riir_airflow.authoring.params import ParamsDict
from riir_airflow.authoring.state_store import NEVER_EXPIRE
from riir_airflow.authoring.variable import Variable
from riir_airflow.config import conf
from riir_airflow.engine.asset_events import (
    InletEventsAccessors,
    OutletEventAccessors,
    TriggeringAssetEventsAccessor,
    dag_asset_resolver,
)
from riir_airflow.engine.records import XCOM_RETURN_KEY, DagRunRecord, RunStore, TaskInstanceRecord
from riir_airflow.exceptions import AirflowNotFoundException
from riir_airflow.runtime.asset_state import AssetStateStoreAccessors, has_asset_state


class DagRunView:
    """`context["dag_run"]`: the run's fields, read-only."""

    def __init__(self, run: DagRunRecord) -> None:
        self._run = run

    def __getattr__(self, name: str) -> Any:
        return getattr(self._run, name)

    @property
    def run_type(self) -> Any:
        from riir_airflow.states import DagRunType

        try:
            return DagRunType(self._run.run_type)
        except ValueError:
            return self._run.run_type

    @property
    def consumed_asset_events(self) -> list[Any]:
        return []

    @property
    def partition_key(self) -> str | None:
        return self._run.partition_key

    @property
    def partition_date(self) -> Any:
        return self._run.partition_date

    def __repr__(self) -> str:
        return f"<DagRun {self._run.dag_id} @ {self._run.logical_date}: {self._run.run_id}, state:{self._run.state}>"


class RuntimeTaskInstance:
    """`ti` / `task_instance`: identifies the try and reads/writes XComs of the run."""

    def __init__(
        self, task: Any, record: TaskInstanceRecord, store: RunStore, group_map_index: int | None = None
    ) -> None:
        self.task = task
        self._record = record
        self._store = store
        self.task_id = record.task_id
        self.dag_id = store.run.dag_id
        self.run_id = store.run.run_id
        self.map_index = record.map_index
        self.try_number = record.try_number
        self.max_tries = record.max_tries
        self.hostname = socket.gethostname()
        self.start_date = record.start_date
        self.end_date: Any = None
        self.state = record.state
        self.rendered_map_index: str | None = None
        self.is_mapped = record.map_index >= 0
        self.logical_date = store.run.logical_date
        # Map index of the enclosing mapped task group, for XComArgs of tasks in the same group.
        self._group_map_index = group_map_index

    def _upsert_hitl_detail(self, **detail: Any) -> None:
        """Writes this try's human-in-the-loop request (HITLOperator.execute; Airflow: upsert_hitl_detail)."""
        self._store.hitl_upsert(self.task_id, self.map_index, detail)

    def __repr__(self) -> str:
        return f"RuntimeTaskInstance(id={self.task_id!r}, map_index={self.map_index}, try_number={self.try_number})"

    # --- XCom -------------------------------------------------------------------------------------------------
    def xcom_push(self, key: str, value: Any) -> None:
        self._store.xcom_set(self.task_id, self.map_index, key, value)

    def xcom_pull(
        self,
        task_ids: str | Iterable[str] | None = None,
        dag_id: str | None = None,
        key: str = XCOM_RETURN_KEY,
        include_prior_dates: bool = False,
        *,
        map_indexes: int | Iterable[int] | Any | None = NOTSET,
        default: Any = None,
        run_id: str | None = None,
    ) -> Any:
        """Airflow's rules: one task and no map_indexes -> every map index's value (one value when only one)."""
        single_task = isinstance(task_ids, (str, type(None)))
        single_index = isinstance(map_indexes, (int, type(None)))
        ids = [self.task_id] if task_ids is None else [task_ids] if isinstance(task_ids, str) else list(task_ids)
        # Another DAG, another run, or the earlier runs too (Airflow's XCom.get_many rules); None: this run.
        where: dict[str, Any] = {}
        if (dag_id is not None and dag_id != self.dag_id) or (run_id is not None and run_id != self.run_id):
            where.update(dag_id=dag_id or self.dag_id, run_id=run_id or self.run_id)
        if include_prior_dates:
            where["include_prior_dates"] = True
        if not is_arg_set(map_indexes):
            values: list[Any] = []
            for task_id in ids:
                found = self._store.xcom_get_all(task_id, key, **where)
                if found is None:
                    values.append(None)
                else:
                    values.extend(found)
            if single_task and len(values) == 1:
                return values[0]
            return values
        if isinstance(map_indexes, int) or map_indexes is None:
            indexes: Iterable[int | None] = [map_indexes]
        elif isinstance(map_indexes, Iterable):
            indexes = list(map_indexes)
        else:
            raise TypeError(
                f"Invalid type for map_indexes: expected int, iterable of ints, or None, got {type(map_indexes)}"
            )
        out = []
        for task_id, index in product(ids, indexes):
            ok, value = self._store.xcom_get_one(task_id, index, key, **where)
            out.append(value if ok and value is not None else default)
        if single_task and single_index:
            return out[0]
        return out

    def pull_for_xcom_arg(self, task_id: str, key: str) -> Any:
        """What an XComArg on `task_id` resolves to for this task instance (NOTSET when nothing was pushed)."""
        producer = self.task.dag.task_dict[task_id]
        if getattr(producer, "is_mapped", False):
            return LazyXComSequence(self._store, task_id, key)
        index: int | None = None
        if _in_mapped_group(producer):
            if self._group_map_index is not None and _same_mapped_group(producer, self.task):
                index = self._group_map_index
            else:
                # From outside its group: the values of every copy, in map index order.
                return self._store.xcom_get_all(task_id, key) or []
        ok, value = self._store.xcom_get_one(task_id, index, key)
        if ok:
            return value
        if key == XCOM_RETURN_KEY or getattr(producer, "multiple_outputs", False):
            return None
        return NOTSET

    # --- other runtime helpers ---------------------------------------------------------------------------------
    def get_first_reschedule_date(self, context: Any) -> Any:
        return self._record.first_reschedule_date

    def get_template_context(self) -> dict[str, Any]:
        return build_context(self.task, self, self._store)

    def count_external_states(
        self, dag_id: str, task_ids: Any, group_id: Any, dates: Any, states: Iterable[str]
    ) -> float:
        """Used by ExternalTaskSensor (Airflow's count, see OtherDags.count_external). Where no other DAG can be
        reached (`dags test`), there is no other DAG's history to look at: 0."""
        other = getattr(self._store, "other_dags", None)
        if other is None:
            return 0
        return float(other.count_external(dag_id, list(dates), list(states),
                                    None if task_ids is None else list(task_ids), group_id))  # fmt: skip


class LazyXComSequence(Sequence[Any]):
    """The values of a mapped task, read when used (what a downstream task receives, as in Airflow)."""

    def __init__(self, store: RunStore, task_id: str, key: str) -> None:
        self._store = store
        self._task_id = task_id
        self._key = key
        self._values: list[Any] | None = None

    def _load(self) -> list[Any]:
        if self._values is None:
            self._values = self._store.xcom_get_all(self._task_id, self._key) or []
        return self._values

    def __len__(self) -> int:
        return len(self._load())

    def __getitem__(self, index: Any) -> Any:
        return self._load()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._load())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self._values is None:
            return "LazyXComSequence(<unevaluated length>)"
        count = len(self._values)
        return f"LazyXComSequence([{count} {'item' if count == 1 else 'items'}])"

    __str__ = __repr__


def _in_mapped_group(task: Any) -> bool:
    from riir_airflow.authoring.taskgroup import MappedTaskGroup

    group = getattr(task, "task_group", None)
    while group is not None:
        if isinstance(group, MappedTaskGroup):
            return True
        group = group.parent_group
    return False


def _same_mapped_group(producer: Any, consumer: Any) -> bool:
    from riir_airflow.authoring.taskgroup import MappedTaskGroup

    group = getattr(producer, "task_group", None)
    while group is not None:
        if isinstance(group, MappedTaskGroup):
            consumer_group = getattr(consumer, "task_group", None)
            while consumer_group is not None:
                if consumer_group is group:
                    return True
                consumer_group = consumer_group.parent_group
            return False
        group = group.parent_group
    return False


# Attribute names code probes objects for (XComArg detection, templating); never variable or connection ids.
_NOT_VARIABLES = frozenset({"iter_references", "resolve", "serialize", "template_fields", "keys"})


class _VariableAccessor:
    """`{{ var.value.key }}` / `{{ var.json.key }}`."""

    def __init__(self, deserialize_json: bool) -> None:
        self._json = deserialize_json

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_") or key in _NOT_VARIABLES:
            raise AttributeError(key)
        return Variable.get(key, deserialize_json=self._json)

    def get(self, key: str, default: Any = NOTSET) -> Any:
        return Variable.get(key, default, deserialize_json=self._json)

    def __repr__(self) -> str:
        return "<VariableAccessor>"


class _ConnectionAccessor:
    """`{{ conn.my_conn.host }}`."""

    def __getattr__(self, conn_id: str) -> Connection:
        if conn_id.startswith("_") or conn_id in _NOT_VARIABLES:
            raise AttributeError(conn_id)
        return Connection.get(conn_id)

    def get(self, conn_id: str, default_conn: Any = None) -> Any:
        try:
            return Connection.get(conn_id)
        except AirflowNotFoundException:
            return default_conn

    def __repr__(self) -> str:
        return "<ConnectionAccessor>"


class TaskStateStore:
    """`context["task_state_store"]` (Airflow 3.3): JSON values this task instance keeps across its tries, in the
    run's store (the metastore's `task_state_store` under the app, readable through the REST API)."""

    def __init__(self, store: Any, task_id: str, map_index: int) -> None:
        self._store = store
        self._task_id = task_id
        self._map_index = map_index

    def _op(self, op: str, key: str | None = None, value: Any = None, expires_at: str | None = None) -> Any:
        return self._store.task_state(self._task_id, self._map_index, op, key=key, value=value, expires_at=expires_at)

    def get(self, key: str, default: Any = None) -> Any:
        found, value = self._op("get", key)
        return value if found else default

    def set(self, key: str, value: Any, *, retention: dt.timedelta | None = None) -> None:
        """`retention`: a timedelta, `NEVER_EXPIRE`, or None for `[state_store] default_retention_days` (0: never)."""
        if value is None:
            raise ValueError("Cannot set value as None")
        now = dt.datetime.now(dt.UTC)
        if retention is NEVER_EXPIRE:
            expires_at = None
        elif retention is not None:
            expires_at = now + retention
        else:
            days = conf.getint("state_store", "default_retention_days", fallback=30)
            if days < 0:
                raise ValueError(f"[state_store] default_retention_days must be >= 0, got {days}. "
                                 "Set to 0 to disable expiry.")  # fmt: skip
            expires_at = None if days == 0 else now + dt.timedelta(days=days)
        self._op("set", key, value, None if expires_at is None else expires_at.isoformat())

    def delete(self, key: str) -> None:
        """No-op when the key does not exist."""
        self._op("delete", key)

    def clear(self) -> None:
        self._op("clear")


def _aware(value: dt.datetime | None) -> Any:
    """A date of the metastore or the memory store as the pendulum DateTime Airflow's context holds."""
    return None if value is None else pendulum.instance(value)


def build_context(task: Any, ti: RuntimeTaskInstance, store: RunStore) -> dict[str, Any]:
    """The template/execute context with Airflow 3's keys and values."""
    run = store.run
    dag = task.dag
    # As Airflow's process_params: DAG params, then the task's, then the run's conf; all validated.
    params = ParamsDict()
    if dag is not None:
        params.update(dag.params)
    if getattr(task, "params", None):
        params.update(task.params)
    if run.conf:
        params.update(run.conf)
    merged = params.validate()
    resolver = dag_asset_resolver(dag)
    previous = store.previous_success()
    context: dict[str, Any] = {
        "dag": dag,
        "task": task,
        "ti": ti,
        "task_instance": ti,
        "run_id": run.run_id,
        "dag_run": DagRunView(run),
        "params": merged,
        "var": {"value": _VariableAccessor(False), "json": _VariableAccessor(True)},
        "conn": _ConnectionAccessor(),
        "macros": macros_module,
        "inlets": list(getattr(task, "inlets", [])),
        "outlets": list(getattr(task, "outlets", [])),
        "inlet_events": InletEventsAccessors(list(getattr(task, "inlets", [])), store.asset_events, resolver),
        "outlet_events": OutletEventAccessors(resolver),
        "triggering_asset_events": TriggeringAssetEventsAccessor(lambda: store.asset_events(triggering=True)),
        "map_index_template": getattr(task, "map_index_template", None),
        "task_reschedule_count": ti._record.reschedule_count,
        "prev_start_date_success": _aware(previous.start_date) if previous else None,
        "prev_end_date_success": _aware(previous.end_date) if previous else None,
        "partition_key": run.partition_key,
        "partition_date": run.partition_date,
        "templates_dict": None,
        "task_state_store": TaskStateStore(store, task.task_id, ti.map_index),
    }
    if has_asset_state(task):
        # As Airflow: only tasks with asset (or alias) inlets/outlets get `asset_state_store`.
        inlets, outlets = list(getattr(task, "inlets", [])), list(getattr(task, "outlets", []))
        context["asset_state_store"] = AssetStateStoreAccessors(inlets, outlets, store, resolver)
    logical = run.logical_date
    if logical is not None:
        ds_nodash = logical.strftime("%Y%m%d")
        context.update(
            logical_date=logical,
            ds=logical.strftime("%Y-%m-%d"),
            ds_nodash=ds_nodash,
            ts=logical.isoformat(),
            ts_nodash=logical.strftime("%Y%m%dT%H%M%S"),
            ts_nodash_with_tz=logical.isoformat().replace("-", "").replace(":", ""),
            data_interval_start=run.data_interval_start,
            data_interval_end=run.data_interval_end,
            prev_data_interval_start_success=_aware(previous.data_interval_start) if previous else None,
            prev_data_interval_end_success=_aware(previous.data_interval_end) if previous else None,
            task_instance_key_str=f"{run.dag_id}__{ti.task_id}__{ds_nodash}",
        )
    else:
        context["task_instance_key_str"] = f"{run.dag_id}__{ti.task_id}__{run.run_id}"
    return context


def json_safe(value: Any) -> Any:
    """A value as JSON-able data, for logging and rendered fields."""
    return json.loads(json.dumps(value, default=str))
