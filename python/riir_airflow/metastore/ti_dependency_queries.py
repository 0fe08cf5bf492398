"""Why a task instance that waits to be queued is not (Airflow's `GET .../dependencies`, its SCHEDULER_QUEUED_DEPS),
worked out from the metastore with Airflow's dependency names and reasons.

Checked: the try's state, its run running, its DAG unpaused, its pool existing with enough open slots, the DAG's
max_active_tasks and the task's max_active_tis_per_dag(run). Not checked: Airflow's `Logical Date` dependency (a
run's logical date in the future), which riir's apps never schedule early in the first place.
"""

from __future__ import annotations

from typing import Any

from riir_airflow.metastore.queries import Db, transaction
from riir_airflow.metastore.records import TaskInstanceRecord

WAITING_STATES = (None, "scheduled")  # only these are explained, as in Airflow
OCCUPYING_STATES = ("running", "queued")


async def failed_dependencies(db: Db, ti: TaskInstanceRecord, task: dict[str, Any] | None) -> list[dict[str, str]]:
    """`[{"name", "reason"}]` sorted by name; `task` is the task's serialized document (None when unknown)."""
    if ti.state not in WAITING_STATES:
        return []
    failed: list[dict[str, str]] = []

    def fail(name: str, reason: str) -> None:
        failed.append({"name": name, "reason": reason})

    async with transaction(db) as conn:
        facts = await conn.fetchrow(
            """
            SELECT r.state AS run_state, d.is_paused, d.max_active_tasks,
                (SELECT count(*) FROM task_instance t WHERE t.dag_id = $1 AND t.state = 'running') AS dag_running,
                (SELECT count(*) FROM task_instance t WHERE t.dag_id = $1 AND t.task_id = $3
                    AND t.state = 'running') AS task_running,
                (SELECT count(*) FROM task_instance t WHERE t.dag_id = $1 AND t.run_id = $2 AND t.task_id = $3
                    AND t.state = 'running') AS task_running_in_run,
                p.slots, p.include_deferred,
                (SELECT coalesce(sum(t.pool_slots), 0) FROM task_instance t WHERE t.pool = $4
                    AND (t.state IN ('running', 'queued') OR (p.include_deferred AND t.state = 'deferred'))) AS used
            FROM dag_run r JOIN dag d ON d.dag_id = r.dag_id LEFT JOIN pool p ON p.pool = $4
            WHERE r.dag_id = $1 AND r.run_id = $2
            """,
            ti.dag_id, ti.run_id, ti.task_id, ti.pool,
        )  # fmt: skip
    if facts is None:
        return []
    if ti.state != "scheduled":
        fail("Task Instance State", f"Task is in the '{ti.state}' state.")
    if facts["run_state"] != "running":
        state = facts["run_state"]
        fail("Dagrun Running", f"Task instance's dagrun was not in the 'running' state but in the state '{state}'.")
    if facts["is_paused"]:
        fail("Dag Not Paused", f"Task's DAG '{ti.dag_id}' is paused.")
    if facts["slots"] is None:
        fail("Pool Slots Available", f"Tasks using non-existent pool '{ti.pool}' will not be scheduled")
    else:
        open_slots = facts["slots"] - facts["used"] if facts["slots"] >= 0 else float("inf")  # -1: unlimited
        if open_slots <= ti.pool_slots - 1:
            fail("Pool Slots Available", f"Not scheduling since there are {open_slots} open slots in pool {ti.pool} "
                                         f"and require {ti.pool_slots} pool slots")  # fmt: skip
    if facts["dag_running"] >= facts["max_active_tasks"]:
        fail("Task Instance Slots Available", f"The maximum number of running tasks ({facts['max_active_tasks']}) "
                                              f"for this task's DAG '{ti.dag_id}' has been reached.")  # fmt: skip
    per_dag = (task or {}).get("max_active_tis_per_dag")
    per_run = (task or {}).get("max_active_tis_per_dagrun")
    if isinstance(per_dag, int) and facts["task_running"] >= per_dag:
        fail("Task Concurrency", "The max task concurrency has been reached.")
    elif isinstance(per_run, int) and facts["task_running_in_run"] >= per_run:
        fail("Task Concurrency", "The max task concurrency per run has been reached.")
    return sorted(failed, key=lambda dep: dep["name"])
