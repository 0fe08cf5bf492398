"""Clearing and marking task instances with Airflow's options, across runs and across DAGs.

One place for what the REST API (`clearTaskInstances`, `dagRuns/{run_id}/clear`, the PATCH of a task instance),
the UI and the CLI (`tasks clear`, `dags clear`) do:

- which runs: one run, or with `include_past` / `include_future` every run of the DAG whose logical date is at or
  before / after that run's (Airflow's date-based clear);
- which tasks: the named ones, with their upstream and/or downstream tasks in the DAG's latest serialized version;
- `ExternalTaskMarker`: clearing a marker also clears, in the other DAG's run of the marker's logical date, the
  marked task and everything downstream of it, following markers there too, at most `recursion_depth` levels deep
  (Airflow 2's "recursive" clear; Airflow 3.3 lost it, apache/airflow#61451, and the fix restores exactly this).
  The CLI follows markers; the REST API (and so the UI) does not, as Airflow 3.3.2's REST clear does not.

The work on rows is `api_queries.clear_task_instances` / `set_ti_states`; this module only decides the sets.
Serialized DAGs are read as JSON documents: nothing here imports DAG code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pendulum

from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore.queries import Db, transaction
from riir_airflow.metastore.records import TaskInstanceRecord

MARKER_TYPE = "ExternalTaskMarker"


class ClearError(ValueError):
    """A clear that cannot be done as asked (the message says why); the API answers it with 400."""


@dataclass
class DagShape:
    """What clearing needs of a DAG's latest serialized version: its tasks by id, and each task's retries."""

    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, data: Any) -> DagShape:
        tasks = data.get("tasks") if isinstance(data, dict) else None
        listed = [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []
        return cls({str(t.get("task_id")): t for t in listed})

    def retries(self) -> dict[str, int]:
        return {task_id: int(t.get("retries", 0) or 0) for task_id, t in self.tasks.items()}

    def relatives(self, task_ids: Iterable[str], *, upstream: bool, downstream: bool) -> set[str]:
        """`task_ids` with every task up- and/or downstream of them."""
        found = set(task_ids)
        for direction, wanted in (("upstream_task_ids", upstream), ("downstream_task_ids", downstream)):
            todo = list(task_ids) if wanted else []
            while todo:
                for nxt in self.tasks.get(todo.pop(), {}).get(direction) or []:
                    if nxt not in found:
                        found.add(nxt)
                        todo.append(nxt)
        return found


async def dag_shapes(db: Db, dag_ids: Collection[str]) -> dict[str, DagShape]:
    versions = await aq.latest_versions(db, list(dag_ids))
    return {dag_id: DagShape.of(v.data) for dag_id, v in versions.items()}


async def runs_in_range(db: Db, dag_id: str, run_id: str, *, past: bool, future: bool) -> list[str]:
    """`run_id`, or with past / future every run of the DAG at or before / after its logical date (Airflow refuses
    both for a run without a logical date, e.g. a manual run triggered without one or an asset-triggered run)."""
    if not (past or future):
        return [run_id]
    async with transaction(db) as conn:
        logical = await conn.fetchval(
            "SELECT logical_date FROM dag_run WHERE dag_id = $1 AND run_id = $2", dag_id, run_id
        )
        if logical is None:
            raise ClearError(
                "Cannot use include_past or include_future with no logical_date(e.g. manually or asset-triggered)."
            )
        rows = await conn.fetch(
            "SELECT run_id FROM dag_run WHERE dag_id = $1 AND logical_date IS NOT NULL "
            "AND ($3 OR logical_date >= $2) AND ($4 OR logical_date <= $2) ORDER BY logical_date",
            dag_id, logical, past, future,
        )  # fmt: skip
    return [r["run_id"] for r in rows]


async def clear(
    db: Db,
    dag_id: str,
    run_ids: Collection[str],
    *,
    task_ids: Collection[str] | None = None,
    map_indexes: Collection[tuple[str, int]] = (),
    upstream: bool = False,
    downstream: bool = False,
    only_failed: bool = False,
    only_running: bool = False,
    dry_run: bool = False,
    reset_runs: bool = True,
    follow_markers: bool = True,
) -> list[TaskInstanceRecord]:
    """Clears (or with `dry_run` lists) task instances of `run_ids` of `dag_id`, and through `ExternalTaskMarker`s
    those of the DAGs they mark, in one transaction. `task_ids` None: every task."""
    async with transaction(db) as conn:
        shapes = await dag_shapes(conn, [dag_id])
        shape = shapes.get(dag_id, DagShape())
        if task_ids is not None and (upstream or downstream):
            named = set(task_ids) | {t for t, _ in map_indexes}
            # A [task_id, map_index] pair keeps only its index; its relatives are cleared whole.
            task_ids = sorted(shape.relatives(named, upstream=upstream, downstream=downstream)
                              - ({t for t, _ in map_indexes} - set(task_ids)))  # fmt: skip
        cleared = await aq.clear_task_instances(
            conn, dag_id, run_ids, task_ids=task_ids, map_indexes=map_indexes, only_failed=only_failed,
            only_running=only_running, dry_run=dry_run, reset_runs=reset_runs, retries=shape.retries(),
        )  # fmt: skip
        if follow_markers:
            cleared += await _follow_markers(
                conn, shapes, dag_id, cleared, only_failed=only_failed, only_running=only_running, dry_run=dry_run,
                reset_runs=reset_runs, depth=0, max_depth=None, seen={(dag_id, r) for r in run_ids},
            )  # fmt: skip
    return cleared


async def _follow_markers(
    conn: Any,
    shapes: dict[str, DagShape],
    dag_id: str,
    cleared: list[TaskInstanceRecord],
    *,
    only_failed: bool,
    only_running: bool,
    dry_run: bool,
    reset_runs: bool,
    depth: int,
    max_depth: int | None,
    seen: set[tuple[str, str]],
) -> list[TaskInstanceRecord]:
    shape = shapes[dag_id] if dag_id in shapes else DagShape()
    markers = [ti for ti in cleared if shape.tasks.get(ti.task_id, {}).get("task_type") == MARKER_TYPE]
    found: list[TaskInstanceRecord] = []
    for ti in markers:
        task = shape.tasks[ti.task_id]
        limit = max_depth if max_depth is not None else int(task.get("recursion_depth") or 10)
        if depth + 1 > limit:
            raise ClearError(
                f"Maximum recursion depth {limit} reached for {MARKER_TYPE} {ti.task_id}. Attempted to clear too "
                "many tasks or there may be a cyclic dependency."
            )
        target_dag, target_task = str(task.get("external_dag_id") or ""), str(task.get("external_task_id") or "")
        run = await aq.runs_by_key(conn, [(dag_id, ti.run_id)])
        logical = _marker_logical_date(task, run.get((dag_id, ti.run_id)))
        if not target_dag or not target_task or logical is None:
            continue
        run_id = await conn.fetchval(
            "SELECT run_id FROM dag_run WHERE dag_id = $1 AND logical_date = $2", target_dag, logical
        )
        if run_id is None or (target_dag, run_id) in seen:
            continue
        seen.add((target_dag, run_id))
        if target_dag not in shapes:
            shapes.update(await dag_shapes(conn, [target_dag]))
        target = shapes.get(target_dag, DagShape())
        subset = sorted(target.relatives([target_task], upstream=False, downstream=True))
        more = await aq.clear_task_instances(
            conn, target_dag, [run_id], task_ids=subset, only_failed=only_failed, only_running=only_running,
            dry_run=dry_run, reset_runs=reset_runs, retries=target.retries(),
        )  # fmt: skip
        found += more
        found += await _follow_markers(
            conn, shapes, target_dag, more, only_failed=only_failed, only_running=only_running, dry_run=dry_run,
            reset_runs=reset_runs, depth=depth + 1, max_depth=limit, seen=seen,
        )  # fmt: skip
    return found


def _marker_logical_date(task: Mapping[str, Any], run: Any) -> dt.datetime | None:
    """The logical date an ExternalTaskMarker points at: its `logical_date` (a template over the run's dates, or
    a fixed date), else its own run's."""
    value = task.get("logical_date")
    run_logical = getattr(run, "logical_date", None)
    if value is None or (run_logical is None and "{{" in str(value)):
        return run_logical if isinstance(run_logical, dt.datetime) else None
    text = str(value)
    if "{{" in text and isinstance(run_logical, dt.datetime):
        from jinja2.sandbox import SandboxedEnvironment

        when = pendulum.instance(run_logical)
        context = {"logical_date": when, "ds": when.to_date_string(), "ts": when.isoformat(),
                   "ds_nodash": when.format("YYYYMMDD"), "run_id": getattr(run, "run_id", None)}  # fmt: skip
        text = SandboxedEnvironment().from_string(text).render(**context)
    parsed = pendulum.parse(text)
    if not isinstance(parsed, dt.datetime):
        raise ClearError(f"{MARKER_TYPE} {task.get('task_id')}: logical_date {text!r} is not a date and time")
    return parsed


async def mark(
    db: Db,
    dag_id: str,
    run_id: str,
    task_id: str,
    state: str,
    *,
    map_index: int | None = None,
    upstream: bool = False,
    downstream: bool = False,
    past: bool = False,
    future: bool = False,
    dry_run: bool = False,
) -> list[TaskInstanceRecord]:
    """Marks a task instance (and its relatives, in this run and with past / future in the DAG's other runs) as
    `state`, as Airflow's PATCH of a task instance does. Returns the task instances changed (that would change,
    with `dry_run`)."""
    async with transaction(db) as conn:
        shape = (await dag_shapes(conn, [dag_id])).get(dag_id, DagShape())
        task_ids = shape.relatives([task_id], upstream=upstream, downstream=downstream)
        changed: list[TaskInstanceRecord] = []
        for one in await runs_in_range(conn, dag_id, run_id, past=past, future=future):
            changed += await aq.set_ti_states(conn, dag_id, one, task_ids, state, map_index=map_index, dry_run=dry_run)
    return changed
