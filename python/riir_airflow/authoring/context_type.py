"""`Context`: the type of a task's template/execute context, a `TypedDict` (total=False) with Airflow 3.3's 40 keys.

Only a type: at run time the context is a plain dict built by riir_airflow.runtime.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class Context(TypedDict, total=False):
    """Jinja2 template context for task rendering."""

    conn: Any
    dag: Any
    dag_run: Any
    data_interval_end: NotRequired[Any]
    data_interval_start: NotRequired[Any]
    outlet_events: Any
    ds: str
    ds_nodash: str
    expanded_ti_count: NotRequired[int | None]
    exception: NotRequired[str | BaseException | None]
    inlets: list[Any]
    inlet_events: Any
    logical_date: Any
    macros: Any
    map_index_template: NotRequired[str | None]
    outlets: list[Any]
    params: dict[str, Any]
    partition_key: NotRequired[str | None]
    partition_date: NotRequired[Any]
    prev_data_interval_start_success: NotRequired[Any]
    prev_data_interval_end_success: NotRequired[Any]
    prev_start_date_success: NotRequired[Any]
    prev_end_date_success: NotRequired[Any]
    reason: NotRequired[str | None]
    run_id: str
    task: Any
    task_reschedule_count: int
    task_instance: Any
    task_instance_key_str: str
    task_state_store: Any
    asset_state_store: Any
    templates_dict: NotRequired[dict[str, Any] | None]
    test_mode: bool
    ti: Any
    triggering_asset_events: Any
    try_number: NotRequired[int | None]
    ts: str
    ts_nodash: str
    ts_nodash_with_tz: str
    var: Any


KNOWN_CONTEXT_KEYS: frozenset[str] = frozenset(Context.__annotations__)
