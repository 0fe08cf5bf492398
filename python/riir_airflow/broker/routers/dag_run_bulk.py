"""Several DAG runs at once: `PATCH /dags/{dag_id}/dagRuns` (Airflow's bulk update and delete),
`POST /dags/{dag_id}/clearDagRuns` (clear a list of runs, or the runs of a partition) and
`POST /dags/{dag_id}/clearPartitions` (forget the partition of runs), as Airflow 3.3 answers them.
`~` as the URL's dag_id lets each entity name its own DAG."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import CurrentUser, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.routers._common import require_dag, require_run, run_payloads, ti_payloads
from riir_airflow.broker.schemas import (
    BulkBody_BulkDAGRunBody_,
    BulkDAGRunBody,
    BulkDAGRunClearBody,
    BulkResponse,
    ClearPartitionsBody,
    ClearPartitionsResponse,
    ClearTaskInstanceCollectionResponse,
    DAGRunCollectionResponse,
)
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import clear_queries, partition_queries
from riir_airflow.metastore import queries as q

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.USER))], tags=["DagRun"])

DELETABLE_STATES = ("queued", "success", "failed")  # Airflow's DagRunMutableStates


@router.patch("/dags/{dag_id}/dagRuns", response_model=BulkResponse)
async def bulk_dag_runs(pool: Pool, user: CurrentUser, dag_id: str, body: BulkBody_BulkDAGRunBody_) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for action in body.actions:
        done: dict[str, Any] = {"success": [], "errors": []}
        results[action.action] = done
        if action.action == "create":
            done["errors"].append({"error": "Dag Runs bulk create is not supported. Use the trigger Dag Run "
                                   "endpoint instead.", "status_code": 405})  # fmt: skip
            continue
        entities: dict[tuple[str, str], BulkDAGRunBody | str] = {}
        for entity in action.entities:
            if action.action == "update" and isinstance(entity, str):
                done["errors"].append({"error": "Bulk update requires a BulkDAGRunBody object, not a string for "
                                       f"dag_run_id: {entity}", "status_code": 400})  # fmt: skip
                continue
            key = _entity_key(dag_id, entity, done)
            if key is not None:
                entities[key] = entity
        if not entities:
            continue
        found = await aq.runs_by_key(pool, set(entities))
        missing = set(entities) - set(found)
        if missing and action.action_on_non_existence == "fail":
            done["errors"].append({"error": f"The DagRuns with these identifiers: {sorted(missing)} were not found",
                                   "status_code": 404})  # fmt: skip
            continue
        for key, entity in sorted(entities.items()) if action.action == "delete" else entities.items():
            run = found.get(key)
            if run is None:
                continue
            run_dag_id, run_id = key
            if action.action == "delete":
                if run.state not in DELETABLE_STATES:
                    done["errors"].append({"error": f"The DagRun with dag_id: `{run_dag_id}` and run_id: `{run_id}` "
                                           f"cannot be deleted in {run.state} state", "status_code": 409})  # fmt: skip
                    continue
                await aq.delete_dag_run(pool, run_dag_id, run_id)
            else:
                assert isinstance(entity, BulkDAGRunBody)
                if entity.state is not None:
                    await aq.mark_run(pool, run_dag_id, run_id, entity.state)
                    await q.record_event(pool, f"dagrun_set_{entity.state}", dag_id=run_dag_id, run_id=run_id,
                                         owner=user.username)  # fmt: skip
                if entity.note is not None:
                    await aq.set_dag_run_note(pool, run_dag_id, run_id, entity.note)
            done["success"].append(f"{run_dag_id}.{run_id}")
    return results


def _entity_key(dag_id: str, entity: BulkDAGRunBody | str, done: dict[str, Any]) -> tuple[str, str] | None:
    run_dag_id, run_id = (dag_id, entity) if isinstance(entity, str) else (entity.dag_id or dag_id, entity.dag_run_id)
    if run_dag_id == "~" or run_id == "~":
        if isinstance(entity, str):
            error = ("When using wildcard in path, dag_id must be specified in BulkDAGRunBody object, not as string "
                     f"for dag_run_id: {entity}")  # fmt: skip
        else:
            error = f"When using wildcard in path, dag_id must be specified in request body for dag_run_id: {run_id}"
        done["errors"].append({"error": error, "status_code": 400})
        return None
    return run_dag_id, run_id


@router.post(
    "/dags/{dag_id}/clearDagRuns",
    response_model=ClearTaskInstanceCollectionResponse | DAGRunCollectionResponse,
)
async def clear_dag_runs(pool: Pool, dag_id: str, body: BulkDAGRunClearBody) -> dict[str, Any]:
    partitioned = not body.dag_runs and any(
        v is not None for v in (body.partition_key, body.partition_date_start, body.partition_date_end)
    )
    runs: dict[tuple[str, str], None] = {}  # ordered, without repeats
    if partitioned:
        if dag_id == "~":
            raise HTTPException(400, "Partition selectors require a concrete dag_id; '~' is not supported.")
        await require_dag(pool, dag_id)
        for run_id in await aq.partition_run_ids(
            pool, dag_id, body.partition_key, body.partition_date_start, body.partition_date_end
        ):
            runs[(dag_id, run_id)] = None
    for run in body.dag_runs or ():
        if dag_id == "~":
            if not run.dag_id or run.dag_id == "~":
                raise HTTPException(400, "When the URL dag_id is '~', every entry must provide a concrete dag_id "
                                         f"(missing on dag_run_id: {run.dag_run_id!r}).")  # fmt: skip
            runs[(run.dag_id, run.dag_run_id)] = None
        else:
            if (run.dag_id or dag_id) != dag_id:
                raise HTTPException(400, f"Entry dag_id {run.dag_id!r} does not match the URL dag_id {dag_id!r}.")
            runs[(dag_id, run.dag_run_id)] = None
    for run_dag_id, run_id in runs:
        await require_dag(pool, run_dag_id)
        await require_run(pool, run_dag_id, run_id)
    cleared_tis: list[Any] = []
    cleared_runs = []
    for run_dag_id, run_id in runs:
        try:
            cleared = await clear_queries.clear(pool, run_dag_id, [run_id], only_failed=body.only_failed,
                                                dry_run=body.dry_run)  # fmt: skip
        except clear_queries.ClearError as exc:
            raise HTTPException(400, str(exc)) from None
        cleared_tis += cleared
        if body.dry_run:
            continue
        if not cleared:
            await aq.mark_run(pool, run_dag_id, run_id, "queued")
        if body.note is not None:
            await aq.set_dag_run_note(pool, run_dag_id, run_id, body.note)
        cleared_runs.append(await require_run(pool, run_dag_id, run_id))
    if body.dry_run:
        return {"task_instances": await ti_payloads(pool, cleared_tis), "total_entries": len(cleared_tis)}
    return {"dag_runs": await run_payloads(pool, cleared_runs), "total_entries": len(cleared_runs)}


@router.post("/dags/{dag_id}/clearPartitions", response_model=ClearPartitionsResponse)
async def clear_dag_run_partitions(pool: Pool, dag_id: str, body: ClearPartitionsBody) -> dict[str, Any]:
    """Resets partition_key and partition_date of the matching runs (a run already without them is skipped unless
    its task instances are cleared too); with `clear_task_instances`, their task instances are cleared."""
    await require_dag(pool, dag_id)
    reset, runs = await aq.partition_runs_to_clear(
        pool, dag_id, run_id=body.run_id, partition_key=body.partition_key, date_start=body.partition_date_start,
        date_end=body.partition_date_end, with_tis=body.clear_task_instances, dry_run=body.dry_run,
    )  # fmt: skip
    tis = 0
    if runs and body.dry_run:
        tis = await partition_queries.count_task_instances(pool, dag_id, runs)
    elif runs:
        try:
            tis = len(await clear_queries.clear(pool, dag_id, runs))
        except clear_queries.ClearError as exc:
            raise HTTPException(400, str(exc)) from None
    return {"dag_runs_cleared": reset, "task_instances_cleared": tis, "dry_run": body.dry_run}
