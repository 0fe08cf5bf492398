"""`/dags/{dag_id}/tasks`: tasks as the serialized DAG describes them (no DAG code is imported)."""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import Depends, HTTPException

from riir_airflow.broker import views
from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers._common import require_dag
from riir_airflow.broker.schemas import TaskCollectionResponse, TaskResponse
from riir_airflow.metastore import api_queries as aq

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["Task"])


def _delta(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, int | float):
        return None
    d = datetime.timedelta(seconds=float(value))
    return {"__type": "TimeDelta", "days": d.days, "seconds": d.seconds, "microseconds": d.microseconds}


def task_payload(t: dict[str, Any]) -> dict[str, Any]:
    task_id = str(t.get("task_id", ""))
    template_fields = t.get("template_fields")
    module = str(t.get("operator_class") or "").rpartition(".")[0] or None
    return {
        "task_id": task_id,
        "task_display_name": t.get("task_display_name") or task_id,
        "owner": t.get("owner"),
        "start_date": t.get("start_date"),
        "end_date": t.get("end_date"),
        "trigger_rule": t.get("trigger_rule", "all_success"),
        "depends_on_past": bool(t.get("depends_on_past", False)),
        "wait_for_downstream": bool(t.get("wait_for_downstream", False)),
        "retries": t.get("retries", 0),
        "queue": t.get("queue", "default"),
        "pool": t.get("pool", "default_pool"),
        "pool_slots": t.get("pool_slots", 1),
        "execution_timeout": _delta(t.get("execution_timeout")),
        "retry_delay": _delta(t.get("retry_delay", 300)),
        "retry_exponential_backoff": float(t.get("retry_exponential_backoff", 0) or 0),
        "priority_weight": t.get("priority_weight", 1),
        "weight_rule": t.get("weight_rule", "downstream"),
        "ui_color": t.get("ui_color", "#fff"),
        "ui_fgcolor": t.get("ui_fgcolor", "#000"),
        "template_fields": list(template_fields) if isinstance(template_fields, list) else [],
        "downstream_task_ids": list(t.get("downstream_task_ids") or []),
        "doc_md": t.get("doc_md"),
        "operator_name": t.get("operator_name") or t.get("task_type"),
        "params": t.get("params") if isinstance(t.get("params"), dict) else {},
        "class_ref": {"class_name": t.get("task_type"), "module_path": module},
        "is_mapped": bool(t.get("is_mapped", False)),
        "extra_links": sorted(t.get("extra_links") or {}),
    }


async def _tasks(pool: Any, dag_id: str) -> list[dict[str, Any]]:
    await require_dag(pool, dag_id)
    latest = (await aq.latest_versions(pool, [dag_id])).get(dag_id)
    return views.serialized_tasks(latest.data) if latest else []


@router.get("/dags/{dag_id}/tasks", response_model=TaskCollectionResponse)
async def get_tasks(pool: Pool, dag_id: str, order_by: str = "task_id") -> dict[str, Any]:
    tasks = [task_payload(t) for t in await _tasks(pool, dag_id)]
    key = order_by.removeprefix("-")
    if tasks and key not in tasks[0]:
        raise HTTPException(400, f"'{key}' is not a valid attribute to order by")
    tasks.sort(key=lambda t: str(t.get(key)), reverse=order_by.startswith("-"))
    return {"tasks": tasks, "total_entries": len(tasks)}


@router.get("/dags/{dag_id}/tasks/{task_id}", response_model=TaskResponse)
async def get_task(pool: Pool, dag_id: str, task_id: str) -> dict[str, Any]:
    for t in await _tasks(pool, dag_id):
        if t.get("task_id") == task_id:
            return task_payload(t)
    raise HTTPException(404, f"Task with id {task_id} was not found")
