"""Semantics across runs in the engine over the memory store (runs sharing a `RunHistory`, as Airflow's `dags test`
runs share its database): depends_on_past, wait_for_downstream, ignore_first_depends_on_past."""

from __future__ import annotations

from typing import Any

import pendulum

from riir_airflow.engine.engine import run_sync
from riir_airflow.engine.records import RunHistory
from riir_airflow.exceptions import AirflowSkipException
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.runtime.local import LocalRun, create_test_run, run_dag_locally
from riir_airflow.sdk import DAG

DAY1 = pendulum.datetime(2024, 1, 1, tz="UTC")
DAY2 = pendulum.datetime(2024, 1, 2, tz="UTC")


def _fail() -> None:
    raise ValueError("boom")


def _skip() -> None:
    raise AirflowSkipException("nothing to do")


def _ready(dag: DAG, history: RunHistory, logical_date: Any) -> list[str]:
    """The tries the engine makes ready in a new run after the history's runs."""
    local = LocalRun(dag, create_test_run(dag, logical_date), history)
    decided = run_sync(local.engine.schedule_run(local.runs.run.run_id, logical_date, pendulum.now("UTC")))
    assert decided.run_state == "running"
    return sorted(ti.task_id for ti in decided.ready)


def test_depends_on_past_waits_for_a_failed_previous_instance_but_not_the_first_run() -> None:
    with DAG("dop", schedule="@daily", start_date=DAY1) as dag:
        PythonOperator(task_id="a", python_callable=_fail, depends_on_past=True)
        EmptyOperator(task_id="free")
    history = RunHistory()
    first = run_dag_locally(dag, logical_date=DAY1, history=history)  # the first run is not held back
    assert {r.task_id: r.state for r in first.task_instances()} == {"a": "failed", "free": "success"}
    assert _ready(dag, history, DAY2) == ["free"]  # `a` waits: its previous instance failed


def test_depends_on_past_lets_a_skipped_previous_instance_through() -> None:
    with DAG("dop_skip", schedule="@daily", start_date=DAY1) as dag:
        PythonOperator(task_id="a", python_callable=_skip, depends_on_past=True)
    history = RunHistory()
    assert run_dag_locally(dag, logical_date=DAY1, history=history).state == "success"
    assert _ready(dag, history, DAY2) == ["a"]


def test_previous_run_is_the_latest_logical_date_before_this_one() -> None:
    with DAG("dop_order", schedule="@daily", start_date=DAY1) as dag:
        PythonOperator(task_id="a", python_callable=_fail, depends_on_past=True)
    history = RunHistory()
    run_dag_locally(dag, logical_date=DAY2, history=history)  # a later run failed...
    # ...but the run of DAY1 comes before it, and there is nothing before DAY1: it is the first.
    assert _ready(dag, history, DAY1) == ["a"]


def test_wait_for_downstream_needs_the_previous_downstream_tasks_done() -> None:
    with DAG("wfd", schedule="@daily", start_date=DAY1) as dag:
        a = EmptyOperator(task_id="a", wait_for_downstream=True)
        b = PythonOperator(task_id="b", python_callable=_fail)
        c = EmptyOperator(task_id="c")
        a >> b >> c  # c is not an immediate downstream of a: its state does not count
    history = RunHistory()
    run_dag_locally(dag, logical_date=DAY1, history=history)
    assert a.depends_on_past  # wait_for_downstream implies it, as in Airflow
    assert _ready(dag, history, DAY2) == []


def test_ignore_first_depends_on_past_for_a_task_new_in_this_version() -> None:
    with DAG("dop_new", schedule="@daily", start_date=DAY1) as v1:
        EmptyOperator(task_id="old")
    history = RunHistory()
    run_dag_locally(v1, logical_date=DAY1, history=history)
    with DAG("dop_new", schedule="@daily", start_date=DAY1) as v2:
        EmptyOperator(task_id="old")
        EmptyOperator(task_id="strict", depends_on_past=True)
        EmptyOperator(task_id="lenient", depends_on_past=True, ignore_first_depends_on_past=True)
    # `strict` had no instance in the previous run: Airflow holds it ("the previous task instance has not run yet").
    assert _ready(v2, history, DAY2) == ["lenient", "old"]
    # DAG-wide, through default_args (Airflow 3.3 has no DAG argument for it, and its default is False).
    with DAG("dop_new", schedule="@daily", start_date=DAY1, default_args={"ignore_first_depends_on_past": True}) as v3:
        EmptyOperator(task_id="old")
        EmptyOperator(task_id="strict", depends_on_past=True)
    assert _ready(v3, history, DAY2) == ["old", "strict"]


def test_prev_success_context_values_come_from_the_latest_successful_earlier_run() -> None:
    seen: list[dict[str, Any]] = []

    def look(**context: Any) -> None:
        keys = ("prev_data_interval_start_success", "prev_data_interval_end_success", "prev_start_date_success")
        seen.append({k: context[k] for k in keys})
        if context["logical_date"] == DAY2:
            raise ValueError("the second run fails")

    with DAG("prev_success", schedule="@daily", start_date=DAY1) as dag:
        PythonOperator(task_id="look", python_callable=look)
    history = RunHistory()
    first = run_dag_locally(dag, logical_date=DAY1, history=history)
    run_dag_locally(dag, logical_date=DAY2, history=history)  # failed: not a "success" run
    run_dag_locally(dag, logical_date=DAY2.add(days=1), history=history)
    assert seen[0] == dict.fromkeys(seen[0])  # the first run has no previous success
    for later in seen[1:]:
        assert later == {
            "prev_data_interval_start_success": first.run.data_interval_start,
            "prev_data_interval_end_success": first.run.data_interval_end,
            "prev_start_date_success": first.run.start_date,
        }


def test_xcom_pull_of_another_run_another_dag_and_prior_dates() -> None:
    pulled: dict[str, Any] = {}

    with DAG("producer", schedule="@daily", start_date=DAY1) as producer:
        PythonOperator(task_id="make", python_callable=lambda logical_date: logical_date.day)

    def consume(ti: Any, logical_date: Any) -> None:
        pulled[logical_date.day] = {
            "this_run": ti.xcom_pull(task_ids="make"),
            "prior_one": ti.xcom_pull(task_ids="make", include_prior_dates=True, map_indexes=-1),
            "prior_all": ti.xcom_pull(task_ids="make", include_prior_dates=True),
            "other_dag": ti.xcom_pull(task_ids="make", dag_id="producer", run_id=producer_run_id),
        }

    with DAG("consumer", schedule="@daily", start_date=DAY1) as consumer:
        made = PythonOperator(task_id="make", python_callable=lambda logical_date: logical_date.day * 10)
        made >> PythonOperator(task_id="consume", python_callable=consume)
    history = RunHistory()
    producer_run_id = run_dag_locally(producer, logical_date=DAY1, history=history).run.run_id
    run_dag_locally(consumer, logical_date=DAY1, history=history)
    run_dag_locally(consumer, logical_date=DAY2, history=history)
    assert pulled[1] == {"this_run": 10, "prior_one": 10, "prior_all": 10, "other_dag": 1}
    # One value: the latest run's; all of them: the earliest run's first (as Airflow 3.3.2's dags test gives them).
    assert pulled[2] == {"this_run": 20, "prior_one": 20, "prior_all": [10, 20], "other_dag": 1}


def test_dagrun_timeout_skips_every_unfinished_instance_and_fails_the_run() -> None:
    import datetime as dt

    with DAG("timeout", schedule=None, dagrun_timeout=dt.timedelta(minutes=5)) as dag:
        done, running, waiting, _retry = (EmptyOperator(task_id=t) for t in ("done", "running", "waiting", "retry"))
        done >> running >> waiting
    local = LocalRun(dag, create_test_run(dag))
    states = {"done": "success", "running": "running", "waiting": None, "retry": "up_for_retry"}
    for task_id, state in states.items():
        local.runs.task_instances[(task_id, -1)].state = state
    started = pendulum.now("UTC")
    assert not local.engine.timed_out(started, started.add(minutes=4))
    decided = run_sync(local.engine.schedule_runs([(local.runs.run.run_id, None, started)], started.add(minutes=6)))
    outcome = decided[local.runs.run.run_id]
    assert outcome.timed_out and outcome.finished and outcome.run_state == "failed"
    assert outcome.stopped == [("running", -1)]  # the host kills this try
    assert {r.task_id: r.state for r in local.records()} == {
        "done": "success", "running": "skipped", "waiting": "skipped", "retry": "skipped",
    }  # fmt: skip
    assert local.runs.run.state == "failed"


def test_a_mapped_task_waits_for_every_map_index_of_the_previous_run_before_it_expands() -> None:
    def fail_odd(n: int) -> None:
        if n % 2:
            raise ValueError("odd")

    with DAG("dop_mapped", schedule="@daily", start_date=DAY1) as dag:
        PythonOperator.partial(task_id="m", python_callable=fail_odd, depends_on_past=True).expand(op_args=[[0], [1]])
    history = RunHistory()
    first = run_dag_locally(dag, logical_date=DAY1, history=history)
    assert [(r.map_index, r.state) for r in first.task_instances()] == [(0, "success"), (1, "failed")]
    local = LocalRun(dag, create_test_run(dag, DAY2), history)
    decided = run_sync(local.engine.schedule_run(local.runs.run.run_id, DAY2, pendulum.now("UTC")))
    # As Airflow: the dependency is checked before expansion, over all the previous run's instances of the task.
    assert decided.ready == [] and list(local.runs.task_instances) == [("m", -1)]


def test_task_reschedule_count_counts_the_reschedules_of_this_try_only() -> None:
    import datetime as dt

    from riir_airflow.providers.standard.sensors.python import PythonSensor

    calls: list[tuple[int, int]] = []

    def poke(**context: Any) -> bool:
        ti = context["ti"]
        calls.append((ti.try_number, context["task_reschedule_count"]))
        if ti.try_number == 1 and len(calls) == 3:
            raise ValueError("the first try fails after two reschedules")
        return ti.try_number == 2 and context["task_reschedule_count"] >= 1

    with DAG("reschedules", schedule=None) as dag:
        PythonSensor(
            task_id="wait", python_callable=poke, mode="reschedule", poke_interval=0.01, retries=1,
            retry_delay=dt.timedelta(0),
        )  # fmt: skip
    assert run_dag_locally(dag).state == "success"
    # As Airflow: a new try starts from 0 (prepare_db_for_next_try drops the try's reschedules).
    assert calls == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1)]
