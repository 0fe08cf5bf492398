"""`/eventLogs`: the audit log."""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Response

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, Pool, ReadConn, order_by_param, requires
from riir_airflow.broker.json_body import json_body
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import EventLogCollectionResponse, EventLogResponse
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import EventRecord

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["Event Log"])


def shape(e: EventRecord) -> dict[str, Any]:
    extra = e.extra if e.extra is None or isinstance(e.extra, str) else json.dumps(e.extra)
    return {"event_log_id": e.id, "when": e.dttm, "dag_id": e.dag_id, "task_id": e.task_id, "run_id": e.run_id,
            "map_index": e.map_index, "try_number": e.try_number, "event": e.event, "logical_date": e.logical_date,
            "owner": e.owner, "extra": extra, "dag_display_name": e.dag_id, "task_display_name": e.task_id}  # fmt: skip


@router.get("/eventLogs", response_model=EventLogCollectionResponse)
async def get_event_logs(
    pool: ReadConn,
    page: Page,
    order_by: Annotated[list[str], Depends(order_by_param("id"))],
    dag_id: str | None = None,
    task_id: str | None = None,
    run_id: str | None = None,
    owner: str | None = None,
    event: str | None = None,
    included_events: Annotated[list[str] | None, Query()] = None,
    before: Annotated[datetime.datetime | None, Query()] = None,
    after: Annotated[datetime.datetime | None, Query()] = None,
) -> Response:
    renamed = [o.replace("event_log_id", "id").replace("when", "dttm") for o in order_by]
    events = [event] if event else (included_events or [])
    result = await q.list_events(pool, dag_id=dag_id, task_id=task_id, run_id=run_id, events=events, owner=owner,
                                 after=after, before=before, order_by=renamed, limit=page.limit,
                                 offset=page.offset)  # fmt: skip
    return json_body({"event_logs": [shape(e) for e in result.items], "total_entries": result.total_entries})


@router.get("/eventLogs/{event_log_id}", response_model=EventLogResponse)
async def get_event_log(pool: Pool, event_log_id: int) -> dict[str, Any]:
    found = await aq.get_event(pool, event_log_id) if 0 < event_log_id < 2**63 else None
    if found is None:
        raise HTTPException(404, f"The Event Log with id: `{event_log_id}` not found")
    return shape(found)
