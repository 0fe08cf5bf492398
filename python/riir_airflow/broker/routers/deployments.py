"""`/api/v2/deployments` (riir-airflow's own): who deployed each DAG version, and as what.

Each DAG version records the deploy identity its app was started with (the Helm chart's `deployedBy` or CI's
user, the pod's ServiceAccount, the image, the test-deploy environment; see app/identity.py). Runs and task
instances name their version in Airflow's own responses (`dag_versions[].id`, `dag_version.id`); this lists the
identity of those versions, filtered by DAG, environment (`""` = production) or deployer.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.metastore import api_queries as aq

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.ADMIN))], tags=["Deployments (riir-airflow)"])


class DeploymentResponse(BaseModel):
    dag_version_id: uuid.UUID
    dag_id: str
    version_number: int
    created_at: datetime.datetime
    deployed_by: str | None
    service_account: str | None
    image: str | None
    environment: str | None


class DeploymentCollectionResponse(BaseModel):
    deployments: list[DeploymentResponse]
    total_entries: int


@router.get("/deployments", response_model=DeploymentCollectionResponse)
async def list_deployments(
    pool: Pool,
    page: Page,
    dag_id: str | None = None,
    environment: Annotated[str | None, Query(description='A test deploy\'s name; "" for production')] = None,
    deployed_by: str | None = None,
) -> dict[str, Any]:
    result = await aq.list_deployments(
        pool, dag_id=dag_id, environment=environment, deployed_by=deployed_by, limit=page.limit, offset=page.offset
    )
    fields = ("dag_id", "version_number", "created_at", "deployed_by", "service_account", "image", "environment")
    items = [{"dag_version_id": v.id, **{name: getattr(v, name) for name in fields}} for v in result.items]
    return {"deployments": items, "total_entries": result.total_entries}
