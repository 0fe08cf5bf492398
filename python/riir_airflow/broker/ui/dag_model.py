"""The DAG page's structures built from the serialized DAG (plain JSON; no DAG code is imported): the task tree of
the grid, the graph handed to the Rust layout, and the aggregate state of groups and mapped tasks."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from riir_airflow import _core

# Which state a group (or a mapped task) shows when its members differ: the first in this list that any member
# has (Airflow's grid summary priority: problems first, then work in progress, then done).
STATE_PRIORITY: tuple[str | None, ...] = (
    "failed", "upstream_failed", "up_for_retry", "up_for_reschedule", "awaiting_input", "queued", "scheduled",
    "deferred", "running", "restarting", None, "success", "skipped", "removed",
)  # fmt: skip


def summary_state(states: Iterable[str | None]) -> str | None:
    present = set(states)
    for state in STATE_PRIORITY:
        if state in present:
            return state
    return None


@dataclass
class TreeRow:
    """One row of the grid: a group, a task, or one index of a mapped task."""

    kind: str  # "group" | "task" | "index"
    id: str  # group id, task id, or task id for an index row
    label: str
    depth: int
    ancestors: list[str]  # enclosing group ids, outermost first (a row is shown when all are expanded)
    task_ids: list[str] = field(default_factory=list)  # for a group: every task inside it
    is_mapped: bool = False
    map_index: int = -1


def tasks_by_id(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    tasks = data.get("tasks")
    return (
        {str(t["task_id"]): t for t in tasks if isinstance(t, dict) and "task_id" in t}
        if isinstance(tasks, list)
        else {}
    )


def _walk(group: Mapping[str, Any], tasks: Mapping[str, dict[str, Any]], depth: int, ancestors: list[str],
          rows: list[TreeRow], parents: dict[str, str | None]) -> list[str]:  # fmt: skip
    """Appends the rows of a group's children (depth-first, definition order); returns the group's task ids."""
    inside: list[str] = []
    for child in group.get("children") or []:
        if isinstance(child, dict):
            gid = str(child.get("group_id"))
            parents[gid] = ancestors[-1] if ancestors else None
            row = TreeRow("group", gid, str(child.get("label") or gid), depth, list(ancestors),
                          is_mapped=bool(child.get("is_mapped")))  # fmt: skip
            rows.append(row)
            row.task_ids = _walk(child, tasks, depth + 1, [*ancestors, gid], rows, parents)
            inside += row.task_ids
        elif isinstance(child, str) and child in tasks:
            task = tasks[child]
            rows.append(TreeRow("task", child, str(task.get("task_display_name") or task.get("label") or child), depth,
                                list(ancestors),
                                is_mapped=bool(task.get("is_mapped"))))  # fmt: skip
            inside.append(child)
    return inside


def task_tree(data: Mapping[str, Any]) -> tuple[list[TreeRow], dict[str, str | None]]:
    """Grid rows in the task group tree's order, and each group's parent group."""
    tasks = tasks_by_id(data)
    rows: list[TreeRow] = []
    parents: dict[str, str | None] = {}
    root = data.get("task_group")
    listed = _walk(root, tasks, 0, [], rows, parents) if isinstance(root, dict) else []
    for task_id in tasks:  # a document without a group tree still shows every task
        if task_id not in listed:
            rows.append(TreeRow("task", task_id, task_id, 0, [], is_mapped=bool(tasks[task_id].get("is_mapped"))))
    return rows, parents


def _asset_ids(items: Any) -> list[tuple[str, str]]:
    """(node id, label) of the assets in a task's inlets/outlets or a schedule's asset condition."""
    out: list[tuple[str, str]] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            asset = node.get("asset")
            if isinstance(asset, dict):
                name = str(asset.get("name") or asset.get("uri") or "")
                out.append((f"asset:{asset.get('uri') or name}", name))
                return
            ref = node.get("asset_ref")
            if isinstance(ref, dict):
                name = str(ref.get("name") or ref.get("uri") or "")
                out.append((f"asset:{name}", name))
                return
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(items)
    return out


@dataclass
class GraphNode:
    id: str
    label: str
    kind: str  # "task" | "group" (collapsed) | "asset"
    operator: str
    x: float
    y: float
    width: float
    height: float
    state: str | None = None
    is_mapped: bool = False
    count: int = 0


@dataclass
class GraphDrawing:
    nodes: list[GraphNode]
    groups: list[tuple[str, str, tuple[float, float, float, float]]]  # (id, label, rect)
    edges: list[tuple[str, str, list[tuple[float, float]], str | None]]  # (source, target, points, label)
    width: float
    height: float


def node_width(label: str) -> float:
    return max(130.0, min(320.0, 7.4 * len(label) + 34.0))


def graph(
    data: Mapping[str, Any],
    collapsed: Collection[str],
    states: Mapping[str, list[str | None]],
) -> GraphDrawing:
    """The laid-out graph: tasks, collapsed groups as single nodes, assets; `states` maps task id -> the states of
    its instances in the shown run."""
    tasks = tasks_by_id(data)
    rows, parents = task_tree(data)
    labels = {r.id: r.label for r in rows if r.kind == "group"}

    def chain(group: str | None) -> list[str]:
        out = []
        while group:
            out.append(group)
            group = parents.get(group)
        return list(reversed(out))

    def representative(task_id: str) -> str:
        for gid in chain(tasks[task_id].get("task_group")):
            if gid in collapsed:
                return gid
        return task_id

    nodes: dict[str, tuple[float, float, str | None, GraphNode]] = {}
    members: dict[str, list[str]] = {}
    for task_id, task in tasks.items():
        rep = representative(task_id)
        members.setdefault(rep, []).append(task_id)
        if rep in nodes:
            continue
        if rep == task_id:
            label = str(task.get("task_display_name") or task.get("label") or task_id)
            group = next((g for g in reversed(chain(task.get("task_group")))), None)
            node = GraphNode(task_id, label, "task", str(task.get("operator_name") or task.get("task_type") or ""),
                             0, 0, 0, 0, is_mapped=bool(task.get("is_mapped")))  # fmt: skip
        else:
            label = labels.get(rep, rep)
            group = parents.get(rep)
            node = GraphNode(rep, label, "group", "Task group", 0, 0, 0, 0)
        nodes[rep] = (node_width(label), 46.0, group, node)
    edges: dict[tuple[str, str], str | None] = {}
    edge_info = data.get("edge_info") if isinstance(data.get("edge_info"), dict) else {}
    for task_id, task in tasks.items():
        for down in task.get("downstream_task_ids") or []:
            if down not in tasks:
                continue
            a, b = representative(task_id), representative(str(down))
            if a != b:
                info = edge_info.get(task_id, {}).get(down) if isinstance(edge_info, dict) else None
                edge_label = info.get("label") if isinstance(info, dict) else None
                edges.setdefault((a, b), str(edge_label) if edge_label else None)
        for direction, items in (("in", task.get("inlets")), ("out", task.get("outlets"))):
            for asset_id, name in _asset_ids(items):
                if asset_id not in nodes:
                    nodes[asset_id] = (node_width(name), 40.0, None, GraphNode(asset_id, name, "asset", "Asset",
                                                                               0, 0, 0, 0))  # fmt: skip
                rep = representative(task_id)
                edges.setdefault((asset_id, rep) if direction == "in" else (rep, asset_id), None)
    schedule = data.get("schedule") if isinstance(data.get("schedule"), dict) else {}
    roots = [t for t, task in tasks.items() if not task.get("upstream_task_ids")]
    for asset_id, name in _asset_ids(schedule.get("asset_condition") if isinstance(schedule, dict) else None):
        if asset_id not in nodes:
            nodes[asset_id] = (node_width(name), 40.0, None, GraphNode(asset_id, name, "asset", "Asset", 0, 0, 0, 0))
        for root in roots:
            edges.setdefault((asset_id, representative(root)), None)

    used_groups = {g for _, _, group, _ in nodes.values() for g in chain(group)}
    laid_nodes, laid_groups, laid_edges, width, height = _core.layout(
        [(nid, w, h, group) for nid, (w, h, group, _) in nodes.items()],
        list(edges),
        [(g, parents.get(g)) for g in used_groups],
    )
    out_nodes = []
    for nid, (x, y, w, h) in laid_nodes:
        node = nodes[nid][3]
        node.x, node.y, node.width, node.height = x, y, w, h
        instance_states = [s for t in members.get(nid, []) for s in states.get(t, [])]
        if node.kind != "asset" and instance_states:
            node.state = summary_state(instance_states)
            node.count = len(instance_states)
        out_nodes.append(node)
    return GraphDrawing(
        out_nodes,
        [(g, labels.get(g, g), rect) for g, rect in laid_groups],
        [(a, b, points, edges.get((a, b))) for a, b, points in laid_edges],
        width,
        height,
    )


def params_form(params: Any) -> list[dict[str, Any]]:
    """The trigger form's fields from the serialized DAG's params (Airflow's Param: value + JSON schema)."""
    fields = []
    for name, spec in (params or {}).items() if isinstance(params, dict) else ():
        if isinstance(spec, dict) and "__var" in spec:  # Airflow's {"__class", "__var": {...}} wrapping
            spec = spec["__var"]
        value = spec.get("value", spec.get("default")) if isinstance(spec, dict) else spec
        schema = spec.get("schema", {}) if isinstance(spec, dict) else {}
        schema = schema if isinstance(schema, dict) else {}
        kind = schema.get("type")
        types = kind if isinstance(kind, list) else [kind] if kind else []
        main = next((t for t in types if t != "null"), "string" if value is None or isinstance(value, str) else None)
        if main is None:
            main = {bool: "boolean", int: "integer", float: "number", list: "array", dict: "object"}.get(
                type(value), "string"
            )
        fields.append({
            "name": str(name), "type": main, "nullable": "null" in types, "value": value,
            "title": schema.get("title") or str(name), "description": spec.get("description") or schema.get(
                "description") if isinstance(spec, dict) else None,
            "enum": schema.get("enum"), "minimum": schema.get("minimum"), "maximum": schema.get("maximum"),
            "minLength": schema.get("minLength"), "maxLength": schema.get("maxLength"),
            "pattern": schema.get("pattern"), "format": schema.get("format"),
            "required": value is None and "null" not in types,
        })  # fmt: skip
    return fields
