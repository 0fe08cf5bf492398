"""The engine keeps each run's planner state across loop turns and feeds it only what changed: its decisions must be
those of an engine that plans the same run from scratch, turn after turn (the Rust property test checks the planner
state itself; this checks what the engine feeds it: changed states, expansions, records written behind its back)."""

from __future__ import annotations

import datetime as dt
import random

import pendulum
import pytest

from riir_airflow.engine.engine import RunEngine, run_sync
from riir_airflow.engine.memory_store import MemoryStore
from riir_airflow.engine.vocabulary import StatesRead
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.runtime.expansion import expansion_length
from riir_airflow.runtime.local import LocalRun, create_test_run
from riir_airflow.sdk import DAG

ENDINGS = ("success", "success", "success", "failed", "skipped", "up_for_retry")


def _dag() -> DAG:
    with DAG("kept_plans", schedule=None, max_active_tasks=3) as dag:
        start = EmptyOperator(task_id="start")
        retried = EmptyOperator.partial(task_id="m", retries=1, retry_delay=dt.timedelta(seconds=5))
        mapped = retried.expand(doc_md=[str(i) for i in range(7)])
        after = EmptyOperator(task_id="after", trigger_rule="all_done")
        side = EmptyOperator(task_id="side", retries=1, retry_delay=dt.timedelta(seconds=5))
        late = EmptyOperator(task_id="late", trigger_rule="one_failed")
        join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
        start >> [mapped, side]
        mapped >> after >> join
        side >> [late, join]
    return dag


def _states(local: LocalRun) -> dict[tuple[str, int], str | None]:
    return {key: r.state for key, r in sorted(local.runs.task_instances.items())}


@pytest.mark.parametrize("seed", range(12))
def test_kept_planner_state_decides_as_planning_from_scratch(seed: int) -> None:
    rng = random.Random(seed)
    dag = _dag()
    kept_local = LocalRun(dag, create_test_run(dag))
    fresh_local = LocalRun(dag, create_test_run(dag))
    kept = RunEngine(dag, MemoryStore(kept_local.runs), expansion_length)
    now = pendulum.now("UTC")
    for turn in range(200):
        fresh = RunEngine(dag, MemoryStore(fresh_local.runs), expansion_length)  # nothing kept from earlier turns
        a = run_sync(kept.schedule_run(kept_local.runs.run.run_id, None, now))
        b = run_sync(fresh.schedule_run(fresh_local.runs.run.run_id, None, now))
        assert [t.key for t in a.ready] == [t.key for t in b.ready], f"turn {turn}"
        assert (a.run_state, a.finished, a.limited, a.wakeup, a.scheduled) == (
            b.run_state,
            b.finished,
            b.limited,
            b.wakeup,
            b.scheduled,
        ), f"turn {turn}"
        assert _states(kept_local) == _states(fresh_local), f"turn {turn}"
        if a.finished:
            break
        # The task runtime ends some tries (the same way on both sides), writing the records directly.
        scheduled = sorted(key for key, state in _states(kept_local).items() if state == "scheduled")
        for key in rng.sample(scheduled, k=min(len(scheduled), rng.randint(1, 3))):
            ending = rng.choice(ENDINGS)
            for local in (kept_local, fresh_local):
                record = local.runs.task_instances[key]
                record.state = ending if ending != "up_for_retry" or record.try_number <= 1 else "failed"
                record.end_date = now
        now += dt.timedelta(seconds=rng.choice((0, 1, 10, 10)))
    else:
        pytest.fail("the run did not finish in 200 turns")


def test_a_full_run_still_reports_waiting_retries_and_expansions() -> None:
    """Once max_active_tasks is reached the engine looks only at ready tries that need no slot: a retry waiting for
    its delay still sets the wake-up, and the run is reported limited."""
    with DAG("full_run", schedule=None, max_active_tasks=1) as dag:
        EmptyOperator(task_id="a", priority_weight=10)
        EmptyOperator(task_id="b", priority_weight=5)
        EmptyOperator(task_id="c", retries=1, retry_delay=dt.timedelta(seconds=30))
    local = LocalRun(dag, create_test_run(dag))
    engine = RunEngine(dag, MemoryStore(local.runs), expansion_length)
    ended = pendulum.now("UTC")
    record = local.runs.task_instances[("c", -1)]
    record.state, record.try_number, record.end_date = "up_for_retry", 1, ended
    decided = run_sync(engine.schedule_run(local.runs.run.run_id, None, ended))
    assert [t.task_id for t in decided.ready] == ["a"]
    assert decided.limited and decided.wakeup == ended + dt.timedelta(seconds=30)


class CountingStore(MemoryStore):
    """A memory store that counts the task instance rows it hands the engine."""

    rows_read = 0

    async def task_states(self, run_id: str) -> StatesRead:
        read = await super().task_states(run_id)
        self.rows_read += len(read.rows)
        return read

    async def task_state_changes(self, run_id: str, since: int) -> StatesRead | None:
        read = await super().task_state_changes(run_id, since)
        self.rows_read += 0 if read is None else len(read.rows)
        return read


def test_dags_test_turns_read_only_the_task_instances_that_changed() -> None:
    """`dags test` over a wide mapped task: after the first read (and the one after the expansion), a turn reads
    the records changed since the engine's last read — written by the store or behind its back — not all of them."""
    width = 400
    with DAG("wide_mapped", schedule=None, max_active_tasks=4) as dag:
        EmptyOperator.partial(task_id="m").expand(doc_md=[str(i) for i in range(width)])
    local = LocalRun(dag, create_test_run(dag))
    store = CountingStore(local.runs)
    engine = RunEngine(dag, store, expansion_length)
    now = pendulum.now("UTC")
    turns = 0
    while True:
        decided = run_sync(engine.schedule_run(local.runs.run.run_id, None, now))
        turns += 1
        if decided.finished:
            break
        for ti in decided.ready:  # the task runtime ends each try, writing the record directly
            record = local.runs.task_instances[ti.key]
            record.state, record.end_date = "success", now
    assert decided.run_state == "success" and turns > width // 4
    assert {r.state for r in local.runs.task_instances.values()} == {"success"}
    # Every instance is read a few times (the full read after the expansion, then on each of its changes), not once
    # per turn: a full read per turn would be turns x width rows (~40,000).
    assert store.rows_read < 5 * width, store.rows_read
