"""`PUT /parseDagFile/{file_token}`: ask the app serving a DAG file to load it again (Airflow queues a priority
parse for its DAG processor). riir-airflow's app does it by draining as on SIGTERM and starting over in the same
process (cli/app_command.py): it imports the file afresh, registers a new DAG version when the code changed and
schedules again. The request is a NOTIFY on the DAGs' channels, so it reaches a running app only; an app that is
not running loads the file when it starts anyway."""

from __future__ import annotations

from fastapi import Depends, HTTPException, Response

from riir_airflow.broker import views
from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.metastore import notify
from riir_airflow.metastore.queries import transaction

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["DAG Parsing"])


@router.put("/parseDagFile/{file_token}", status_code=201, response_model=None)
async def reparse_dag_file(pool: Pool, file_token: str) -> Response:
    async with transaction(pool) as conn:
        rows = await conn.fetch("SELECT dag_id, fileloc FROM dag WHERE NOT is_stale")
        dag_ids = [r["dag_id"] for r in rows if views.file_token(r["fileloc"]) == file_token]
        if not dag_ids:
            raise HTTPException(404, "File not found")
        await notify.request_reparse(conn, dag_ids)
    return Response("null", status_code=201, media_type="application/json")
