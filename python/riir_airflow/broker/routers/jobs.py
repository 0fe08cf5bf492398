"""`GET /jobs`: the DAG apps as Airflow's jobs (how an app maps onto a job: metastore/job_queries.py). `is_alive`
means healthy as `/api/v2/apps` says it: running with a heartbeat younger than `[broker] app_stale_after`."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from fastapi import Depends, Query

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Config, Page, Pool, order_by_param, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers._common import ranges as to_ranges
from riir_airflow.broker.schemas import JobCollectionResponse
from riir_airflow.metastore import job_queries

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.ADMIN))], tags=["Job"])

DateQ = Annotated[datetime.datetime | None, Query()]


@router.get("/jobs", response_model=JobCollectionResponse)
async def get_jobs(
    pool: Pool,
    config: Config,
    page: Page,
    order_by: Annotated[list[str], Depends(order_by_param("id"))],
    is_alive: bool | None = None,
    start_date_gte: DateQ = None,
    start_date_gt: DateQ = None,
    start_date_lte: DateQ = None,
    start_date_lt: DateQ = None,
    end_date_gte: DateQ = None,
    end_date_gt: DateQ = None,
    end_date_lte: DateQ = None,
    end_date_lt: DateQ = None,
    job_state: str | None = None,
    job_type: str | None = None,
    hostname: str | None = None,
    executor_class: str | None = None,
) -> dict[str, Any]:
    dates = {k: v for k, v in locals().items() if k.startswith(("start_date_", "end_date_"))}
    jobs, total = await job_queries.list_jobs(
        pool,
        ranges=to_ranges(dates, {}),
        equal={"state": job_state, "job_type": job_type, "hostname": hostname, "executor_class": executor_class},
        alive_within=config.getfloat("broker", "app_stale_after", fallback=60.0),
        is_alive=is_alive,
        order_by=order_by,
        limit=page.limit,
        offset=page.offset,
    )
    return {"jobs": jobs, "total_entries": total}
