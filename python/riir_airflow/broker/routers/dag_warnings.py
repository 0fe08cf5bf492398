"""`GET /dagWarnings` (which warnings riir-airflow raises, and when: metastore/dag_warning_queries.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, ReadDb, order_by_param, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import DAGWarningCollectionResponse, DagWarningType
from riir_airflow.metastore import dag_warning_queries as wq

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["DagWarning"])


@router.get("/dagWarnings", response_model=DAGWarningCollectionResponse)
async def list_dag_warnings(
    pool: ReadDb,
    page: Page,
    order_by: Annotated[list[str], Depends(order_by_param("dag_id"))],
    dag_id: str | None = None,
    warning_type: DagWarningType | None = None,
) -> dict[str, Any]:
    warnings, total = await wq.list_dag_warnings(
        pool, dag_id=dag_id, warning_type=warning_type, order_by=order_by, limit=page.limit, offset=page.offset
    )
    return {"dag_warnings": warnings, "total_entries": total}
