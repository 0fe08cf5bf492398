"""The grid's cells from the metastore (ui_queries.grid + the page's row builder): per run one cell per task, a
mapped task's instances summarised (failed before running before success) with per-index rows, groups summarising
their tasks, and 0 where a run has no instance."""

from __future__ import annotations

import asyncpg

from riir_airflow.broker.ui import dag_model
from riir_airflow.broker.ui.pages import _row_cells
from riir_airflow.metastore import queries as q
from riir_airflow.metastore import ui_queries as uq
from riir_airflow.metastore.records import NewTaskInstance


async def test_cells_per_task_mapped_index_and_group(db: asyncpg.Pool) -> None:
    await q.upsert_dag(db, "grid", fileloc="/dags/grid.py", owners="airflow")
    tasks = [NewTaskInstance("a"), NewTaskInstance("m", map_index=0), NewTaskInstance("m", map_index=1),
             NewTaskInstance("m", map_index=2), NewTaskInstance("g.x"), NewTaskInstance("g.y")]  # fmt: skip
    await q.create_dag_run(db, "grid", "r1", run_type="manual", tasks=tasks)
    await q.create_dag_run(db, "grid", "r2", run_type="manual", tasks=tasks[:1])  # only "a" exists in r2
    await db.execute("UPDATE dag_run SET run_after = run_after + interval '1 hour' WHERE run_id = 'r2'")
    states = {("r1", "a", -1): "success", ("r1", "m", 0): "success", ("r1", "m", 1): "failed",
              ("r1", "m", 2): "running", ("r1", "g.x", -1): "success", ("r1", "g.y", -1): "upstream_failed",
              ("r2", "a", -1): "running"}  # fmt: skip
    for (run, task, index), state in states.items():
        await db.execute("UPDATE task_instance SET state = $4 WHERE run_id = $1 AND task_id = $2 AND map_index = $3",
                         run, task, index, state)  # fmt: skip

    grid = await uq.grid(db, "grid", limit=10)
    assert [r.run_id for r in grid.runs] == ["r1", "r2"]  # oldest first

    def row(kind: str, row_id: str, task_ids: list[str] | None = None, map_index: int = -1) -> list[object]:
        tree_row = dag_model.TreeRow(kind, row_id, row_id, 0, [], task_ids or [], kind == "task", map_index)
        return _row_cells(tree_row, grid)

    assert row("task", "a") == [["success", 1], ["running", 1]]
    assert row("task", "m") == [["failed", 3], 0]
    assert [row("index", "m", map_index=i) for i in range(3)] == [[["success", 1], 0], [["failed", 1], 0],
                                                                   [["running", 1], 0]]  # fmt: skip
    assert row("group", "g", ["g.x", "g.y"]) == [["upstream_failed", 2], 0]
    assert row("task", "never_ran") == [0, 0]
