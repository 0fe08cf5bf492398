"""The engine over the memory store: concurrency limits decided when tries are scheduled, and the typed channel
messages on the wire."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from riir_airflow.engine.engine import RunEngine, run_sync
from riir_airflow.engine.memory_store import MemoryStore
from riir_airflow.engine.messages import (
    CountExternal,
    Deferral,
    GetAssetEvents,
    GetConnection,
    GetDagRunState,
    ReportResult,
    SetVariable,
    TriggerDagRun,
    TryResult,
    XComGetOne,
    from_wire,
    to_wire,
)
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.runtime.expansion import expansion_length
from riir_airflow.runtime.local import LocalRun, create_test_run
from riir_airflow.sdk import DAG


def _engine(dag: DAG) -> tuple[LocalRun, RunEngine]:
    local = LocalRun(dag, create_test_run(dag))
    return local, RunEngine(dag, MemoryStore(local.runs), expansion_length)


def _scheduled(local: LocalRun) -> list[str]:
    return sorted(r.task_id for r in local.records() if r.state == "scheduled")


def test_max_active_tasks_counts_per_run_and_highest_priority_goes_first() -> None:
    with DAG("limits", schedule=None, max_active_tasks=2) as dag:
        for n, weight in enumerate((1, 5, 3)):
            EmptyOperator(task_id=f"t{n}", priority_weight=weight)
    local, engine = _engine(dag)
    decided = run_sync(engine.schedule_run(local.runs.run.run_id, None, pendulum.now("UTC")))
    assert [ti.task_id for ti in decided.ready] == ["t1", "t2"] and decided.limited
    assert _scheduled(local) == ["t1", "t2"]
    # One ends: its slot goes to the last one.
    local.runs.task_instances[("t1", -1)].state = "success"
    decided = run_sync(engine.schedule_run(local.runs.run.run_id, None, pendulum.now("UTC")))
    assert [ti.task_id for ti in decided.ready] == ["t0"]


def test_max_active_tis_per_dagrun_holds_back_mapped_copies() -> None:
    with DAG("mapped_limits", schedule=None) as dag:
        EmptyOperator.partial(task_id="m", max_active_tis_per_dagrun=2).expand(doc_md=["a", "b", "c", "d", "e"])
    local, engine = _engine(dag)
    decided = run_sync(engine.schedule_run(local.runs.run.run_id, None, pendulum.now("UTC")))
    assert len(local.runs.task_instances) == 5  # expanded
    assert len(decided.ready) == 2 and decided.limited


def test_retry_waits_for_its_delay() -> None:
    with DAG("retry_wait", schedule=None) as dag:
        EmptyOperator(task_id="t", retries=1, retry_delay=dt.timedelta(seconds=30))
    local, engine = _engine(dag)
    record = local.runs.task_instances[("t", -1)]
    ended = pendulum.now("UTC")
    record.state, record.try_number, record.end_date = "up_for_retry", 1, ended
    decided = run_sync(engine.schedule_run(local.runs.run.run_id, None, ended))
    assert decided.ready == [] and decided.wakeup == ended + dt.timedelta(seconds=30)
    decided = run_sync(engine.schedule_run(local.runs.run.run_id, None, ended + dt.timedelta(seconds=31)))
    assert [ti.task_id for ti in decided.ready] == ["t"] and record.try_number == 2


@pytest.mark.parametrize(
    "message",
    [
        XComGetOne(task_id="a", map_index=-1, key="return_value", dag_id="other", include_prior_dates=True),
        GetConnection(conn_id="c"),
        SetVariable(key="k", value="v", description=None),
        TriggerDagRun(
            dag_id="target", run_id="run1", logical_date="2024-01-01T00:00:00+00:00", conf={"x": 1}, reset_dag_run=True
        ),
        GetDagRunState(dag_id="target", run_id="run1"),
        CountExternal(dag_id="target", logical_dates=["2024-01-01T00:00:00+00:00"], states=["success"], group_id="grp"),
        GetAssetEvents(triggering=True),
        ReportResult(
            TryResult(
                state="deferred",
                xcoms={"return_value": 1},
                skip_tasks=(("b", -1),),
                error="ValueError: x",
                reschedule_date=pendulum.datetime(2024, 1, 1, 12),
                deferral=Deferral("m.Trigger", {"a": 1}, "resume", {}, 5.0),
            )
        ),
    ],
)
def test_channel_messages_survive_the_wire(message: object) -> None:
    import json

    assert from_wire(json.loads(json.dumps(to_wire(message)))) == message  # type: ignore[arg-type]


def test_a_bad_channel_message_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="unknown channel request 'drop_tables'"):
        from_wire({"op": "drop_tables"})
    with pytest.raises(ValueError, match=r"'variable' has unknown fields \['sql'\]"):
        from_wire({"op": "variable", "key": "k", "sql": "x"})
