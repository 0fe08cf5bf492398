"""`/importErrors`: DAG files that failed to load. Each DAG app loads its own file and reports failures to its
log and to the `event` table (event `import_error`); the broker lists them from there."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import ImportErrorCollectionResponse, ImportErrorResponse
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.records import EventRecord

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["Import Error"])


def shape(e: EventRecord) -> dict[str, Any]:
    extra = e.extra if isinstance(e.extra, dict) else {}
    return {"import_error_id": e.id, "timestamp": e.dttm, "filename": str(extra.get("filename", "")),
            "bundle_name": extra.get("bundle_name"), "stack_trace": str(extra.get("stack_trace", ""))}  # fmt: skip


@router.get("/importErrors", response_model=ImportErrorCollectionResponse)
async def get_import_errors(pool: Pool, page: Page) -> dict[str, Any]:
    result = await q.list_events(pool, events=["import_error"], limit=page.limit, offset=page.offset)
    return {"import_errors": [shape(e) for e in result.items], "total_entries": result.total_entries}


@router.get("/importErrors/{import_error_id}", response_model=ImportErrorResponse)
async def get_import_error(pool: Pool, import_error_id: int) -> dict[str, Any]:
    found = await aq.get_event(pool, import_error_id) if 0 < import_error_id < 2**63 else None
    if found is None or found.event != "import_error":
        raise HTTPException(404, f"The ImportError with import_error_id: `{import_error_id}` was not found")
    return shape(found)
