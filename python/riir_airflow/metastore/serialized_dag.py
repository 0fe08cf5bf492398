"""What the metastore side knows of a DAG without importing its file: the serialized document of its latest
`dag_version` (written by the app or `dags reserialize`). Used to create a run's task instances up front."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from riir_airflow.metastore.records import NewTaskInstance, task_in_run


def _closure(start: str, edges: Mapping[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(edges.get(start, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return seen


def priority_weights(tasks: list[Mapping[str, Any]]) -> dict[str, int]:
    """Airflow's effective priority: the task's weight plus those of all its downstream (`downstream`, the default)
    or upstream (`upstream`) tasks, or its own (`absolute`)."""
    weight = {t["task_id"]: int(t.get("priority_weight") or 1) for t in tasks}
    down = {t["task_id"]: list(t.get("downstream_task_ids") or ()) for t in tasks}
    up = {t["task_id"]: list(t.get("upstream_task_ids") or ()) for t in tasks}
    total: dict[str, int] = {}
    for t in tasks:
        rule = t.get("weight_rule") or "downstream"
        task_id = t["task_id"]
        if rule == "absolute":
            total[task_id] = weight[task_id]
        else:
            related = _closure(task_id, down if rule == "downstream" else up)
            total[task_id] = weight[task_id] + sum(weight.get(r, 0) for r in related)
    return total


def new_task_instances(data: Mapping[str, Any], logical_date: Any, run_type: str) -> list[NewTaskInstance]:
    """One task instance per task of the serialized DAG that is within its dates for the run (`task_in_run`); mapped
    tasks expand later, when their input is known."""
    tasks = list(data.get("tasks") or [])
    weights = priority_weights(tasks)
    return [
        NewTaskInstance(
            task_id=t["task_id"],
            max_tries=int(t.get("retries") or 0),
            pool=t.get("pool") or "default_pool",
            pool_slots=int(t.get("pool_slots") or 1),
            queue=t.get("queue") or "default",
            priority_weight=weights[t["task_id"]],
            operator=t.get("task_type"),
            custom_operator_name=t.get("operator_name"),
        )
        for t in tasks
        if task_in_run(t.get("start_date"), t.get("end_date"), logical_date, run_type)
    ]


def _asset_keys(value: Any) -> list[tuple[str, str]]:
    """(name, uri) of the serialized assets in an outlet/inlet list or an asset condition expression."""
    found: list[tuple[str, str]] = []
    if isinstance(value, list):
        for item in value:
            found += _asset_keys(item)
    elif isinstance(value, dict):
        if "uri" in value and "name" in value and isinstance(value.get("uri"), str):
            found.append((str(value["name"]), str(value["uri"])))
        else:
            for item in value.values():
                found += _asset_keys(item)
    return found


@dataclass(frozen=True)
class AssetReferences:
    """Where a serialized DAG uses assets, by (name, uri)."""

    schedule: set[tuple[str, str]]
    producers: dict[tuple[str, str], set[str]]  # asset -> task ids with it as an outlet
    consumers: dict[tuple[str, str], set[str]]  # asset -> task ids with it as an inlet


def asset_references(data: Any) -> AssetReferences:
    refs = AssetReferences(set(), {}, {})
    if not isinstance(data, dict):
        return refs
    schedule = data.get("schedule")
    if isinstance(schedule, dict):
        refs.schedule.update(_asset_keys(schedule.get("asset_condition")))
    for task in data.get("tasks") or []:
        for key in _asset_keys(task.get("outlets") or []):
            refs.producers.setdefault(key, set()).add(task["task_id"])
        for key in _asset_keys(task.get("inlets") or []):
            refs.consumers.setdefault(key, set()).add(task["task_id"])
    return refs
