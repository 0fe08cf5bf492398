"""A DAG as a JSON document: everything the broker and UI show, readable without importing the DAG file.

The document is deterministic (tasks in definition order, sets sorted, datetimes as ISO strings) so that
`dag_hash` changes exactly when the DAG's structure or settings change; the DAG app stores a new dag_version only
then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from riir_airflow._core import TaskDocuments, plain_json
from riir_airflow.authoring.trigger_rule import WeightRule
from riir_airflow.schedules.timetables import encode_timetable

SERIALIZATION_VERSION = 1


def _seconds(value: dt.timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _weight_rule(value: Any) -> Any:
    """A WeightRule's value, or the import path of a custom priority weight strategy's class (which must be
    registered by a plugin: Airflow refuses to serialize a DAG using an unregistered one)."""
    if type(value) is WeightRule:
        return value.value
    from riir_airflow.authoring.priority import validate_and_load_priority_weight_strategy

    name = getattr(value, "value", value)
    if value is None or (isinstance(name, str) and WeightRule.is_valid(name)):
        return name
    strategy = type(validate_and_load_priority_weight_strategy(value))
    return f"{strategy.__module__}.{strategy.__qualname__}"


def _asset_list(items: Any) -> list[Any]:
    out = []
    for item in items or []:
        expression = getattr(item, "as_expression", None)
        out.append(expression() if callable(expression) else {"repr": repr(item)})
    return out


def _params(params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in params:
        param = params.get_param(key)
        data = param.serialize()
        try:
            json.dumps(data)
        except TypeError:
            data = json.loads(json.dumps(data, default=str))
        out[key] = data
    return out


def _zone_name(tz: Any) -> str:
    return str(getattr(tz, "name", None) or getattr(tz, "key", None) or tz)


# The keys of a task's document, in order (after them, in serialize_task: extra fields, extra_links, cache).
_TASK_DOCUMENT_KEYS = (
    "task_id",
    "label",
    "task_display_name",
    "task_type",
    "operator_name",
    "operator_class",
    "task_group",
    "upstream_task_ids",
    "downstream_task_ids",
    "trigger_rule",
    "retries",
    "retry_delay",
    "retry_exponential_backoff",
    "max_retry_delay",
    "execution_timeout",
    "pool",
    "pool_slots",
    "queue",
    "priority_weight",
    "weight_rule",
    "owner",
    "depends_on_past",
    "wait_for_downstream",
    "is_mapped",
    "is_setup",
    "is_teardown",
    "template_fields",
    "template_ext",
    "template_fields_renderers",
    "ui_color",
    "ui_fgcolor",
    "doc_md",
    "inlets",
    "outlets",
    "max_active_tis_per_dag",
    "max_active_tis_per_dagrun",
    "map_index_template",
    "start_date",
    "end_date",
    "is_sensor",
    "inherits_from_empty_operator",
)


class _SharedParts:
    """What the tasks of one DAG share, worked out once per `serialize_dag` call: the document parts that come from
    an operator's class, and the ISO text of each datetime object (every task of a DAG holds the DAG's start_date:
    formatting it again for each one was a tenth of the serialization). Lives for one call only, so a class
    attribute changed between two calls is seen by the next one."""

    def __init__(self) -> None:
        self._classes: dict[type, dict[str, Any]] = {}
        self._iso: dict[int, tuple[dt.datetime, str]] = {}

    def of_class(self, op_class: type) -> dict[str, Any]:
        parts = self._classes.get(op_class)
        if parts is None:
            parts = self._classes[op_class] = {
                "operator_class": f"{op_class.__module__}.{op_class.__qualname__}",
                "template_fields_renderers": dict(getattr(op_class, "template_fields_renderers", {}) or {}),
                "ui_color": getattr(op_class, "ui_color", "#fff"),
                "ui_fgcolor": getattr(op_class, "ui_fgcolor", "#000"),
                "is_sensor": callable(getattr(op_class, "poke", None)),
                "extra_fields": tuple(getattr(op_class, "serialized_extra_fields", ())),
            }
        return parts

    def iso(self, value: dt.datetime | None) -> str | None:
        if value is None:
            return None
        known = self._iso.get(id(value))
        if known is None or known[0] is not value:
            known = self._iso[id(value)] = (value, value.isoformat())  # (the object is kept: its id stays its own)
        return known[1]


def serialize_task(task: Any, shared: _SharedParts | None = None) -> dict[str, Any]:
    """A task's document, every value plain JSON (as `plain_json` gives it back)."""
    shared = shared or _SharedParts()
    op_class = task.operator_class if task.is_mapped else type(task)
    of_class = shared.of_class(op_class)
    # The keys of _TASK_DOCUMENT_KEYS, filled in Rust (see `_TASK_DOCUMENTS`).
    document: dict[str, Any] = _TASK_DOCUMENTS.build(task, of_class, shared.iso)
    # Operator attributes others act on without the DAG's code (e.g. clearing through an ExternalTaskMarker).
    for name in of_class["extra_fields"]:
        document[name] = plain_json(_plain(getattr(task, name, None)), _reject)
    # link name -> the XCom key its URL is stored under when a try ends (Airflow's `_operator_extra_links`); absent
    # for tasks without links.
    if links := _extra_links(task):
        document["extra_links"] = plain_json(links, _reject)
    # riir's per-file memoization; absent (not null) for ordinary tasks so their form stays Airflow's.
    if getattr(task, "cache", None):
        document["cache"] = plain_json(task.cache, _reject)
    return document


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def _extra_links(task: Any) -> dict[str, str]:
    return {link.name: link.xcom_key for link in getattr(task, "operator_extra_links", ()) or ()}


def serialize_task_group(group: Any) -> dict[str, Any]:
    children = []
    for child in group.children.values():
        if hasattr(child, "children"):
            children.append(serialize_task_group(child))
        else:
            children.append(child.task_id)
    return {
        "group_id": group.group_id,
        "label": group.label,
        "tooltip": group.tooltip,
        "ui_color": group.ui_color,
        "ui_fgcolor": group.ui_fgcolor,
        "prefix_group_id": group.prefix_group_id,
        "is_mapped": bool(group.is_mapped),
        "upstream_group_ids": sorted(g for g in group.upstream_group_ids if g),
        "downstream_group_ids": sorted(g for g in group.downstream_group_ids if g),
        "upstream_task_ids": sorted(group.upstream_task_ids),
        "downstream_task_ids": sorted(group.downstream_task_ids),
        "children": children,
    }


def _timetable(dag: Any) -> dict[str, Any]:
    timetable = dag.timetable
    condition = getattr(timetable, "asset_condition", None)
    return {
        "summary": str(getattr(timetable, "summary", "")),
        "description": str(getattr(timetable, "description", "") or ""),
        "can_be_scheduled": bool(getattr(timetable, "can_be_scheduled", False)),
        "timetable": encode_timetable(timetable),
        "asset_condition": condition.as_expression() if condition is not None else None,
    }


def serialize_dag(dag: Any) -> dict[str, Any]:
    """The JSON document of a DAG (plain JSON types only)."""
    shared = _SharedParts()
    doc = {
        "__version": SERIALIZATION_VERSION,
        "dag_id": dag.dag_id,
        "dag_display_name": dag.dag_display_name,
        "fileloc": dag.fileloc,
        "relative_fileloc": dag.relative_fileloc,
        "description": dag.description,
        "doc_md": dag.doc_md,
        "owner": dag.owner,
        "owner_links": dag.owner_links,
        "tags": sorted(dag.tags),
        "timezone": _zone_name(dag.timezone),
        "start_date": shared.iso(dag.start_date),
        "end_date": shared.iso(dag.end_date),
        "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs,
        "max_active_tasks": dag.max_active_tasks,
        "max_consecutive_failed_dag_runs": dag.max_consecutive_failed_dag_runs,
        "dagrun_timeout": _seconds(dag.dagrun_timeout),
        "is_paused_upon_creation": dag.is_paused_upon_creation,
        "fail_fast": dag.fail_fast,
        "render_template_as_native_obj": dag.render_template_as_native_obj,
        "has_on_success_callback": dag.on_success_callback is not None,
        "has_on_failure_callback": dag.on_failure_callback is not None,
        "params": _params(dag.params),
        "schedule": _timetable(dag),
        "edge_info": dag.edge_info,
        "task_group": serialize_task_group(dag.task_group),
    }
    # What a round trip through JSON gives (without the text), so anything odd (a non-JSON param default, ...)
    # fails here with its name. The task documents come out plain already (see `serialize_task`).
    result: dict[str, Any] = plain_json(doc, _reject)
    result["tasks"] = [serialize_task(task, shared) for task in dag.tasks]
    return result


def _reject(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
    from riir_airflow.exceptions import SerializationError

    raise SerializationError(f"cannot serialize value of type {type(value).__name__}: {value!r}")


def dag_hash(document: dict[str, Any]) -> str:
    """A stable hash of a serialized DAG."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# Builds the part of a task's document every task has, in one call per task: as Python code (an attribute read,
# a helper call and a store per key, then `plain_json` walking the result again) it was a tenth of a DagBag's load.
# The values come out plain JSON; what is not a WeightRule member or has assets goes through the helpers above.
_TASK_DOCUMENTS = TaskDocuments(_TASK_DOCUMENT_KEYS, WeightRule, _weight_rule, _asset_list, _reject)
