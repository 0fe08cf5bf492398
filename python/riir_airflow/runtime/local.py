"""`dag.test()` / `riir-airflow dags test`: one DAG run in this process, with no database and no server.

Tries run one after another in this process (as Airflow's `dags test` does), deferred tasks have their trigger run
inline, and retries wait for their retry delay. The result keeps every task instance and XCom of the run.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

import pendulum

from riir_airflow.authoring.notset import NOTSET, ArgNotSet
from riir_airflow.engine.engine import RunEngine, group_map_index, next_retry_datetime, run_sync
from riir_airflow.engine.memory_store import MemoryStore
from riir_airflow.engine.records import DagRunRecord, InMemoryRunStore, RunHistory, TaskInstanceRecord
from riir_airflow.engine.vocabulary import FINISHED_TASK_STATES
from riir_airflow.plugins.listener_calls import notify
from riir_airflow.runtime.expansion import expansion_length
from riir_airflow.runtime.task_instance import RuntimeTaskInstance, build_context
from riir_airflow.runtime.task_runner import TryOutcome, run_callable, run_try
from riir_airflow.schedules.asset_activation import ActiveAssets
from riir_airflow.states import task_in_run

log = logging.getLogger("airflow.dag_test")


@dataclass
class DagTestResult:
    """The finished run: its record, every task instance and the XCom store."""

    run: DagRunRecord
    store: InMemoryRunStore

    @property
    def state(self) -> str:
        return self.run.state

    def task_instances(self) -> list[TaskInstanceRecord]:
        return sorted(self.store.task_instances.values(), key=lambda r: (r.task_id, r.map_index))

    def as_results(self) -> dict[str, Any]:
        """The comparable facts of the run (the shape compat-tests/behaviour compares)."""
        return {
            "dag_id": self.run.dag_id,
            "run_state": self.run.state,
            "task_instances": [
                {"task_id": r.task_id, "map_index": r.map_index, "state": r.state, "try_number": r.try_number}
                for r in self.task_instances()
            ],
            "xcoms": self.store.xcom_rows(),
            "rendered_fields": [
                {"task_id": r.task_id, "map_index": r.map_index, "fields": r.rendered_fields}
                for r in self.task_instances()
                if r.rendered_fields is not None
            ],
        }


def _data_interval(dag: Any, logical_date: dt.datetime | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    if logical_date is None:
        return None, None
    interval = dag.timetable.infer_manual_data_interval(run_after=logical_date)
    return interval.start, interval.end


def create_test_run(
    dag: Any, logical_date: Any = NOTSET, run_after: dt.datetime | None = None, conf: dict[str, Any] | None = None
) -> DagRunRecord:
    """A manual run as `dags test` makes it: run_after is now, the run id is `manual__<run_after>`."""
    run_after = pendulum.instance(run_after) if run_after is not None else pendulum.now("UTC")
    if isinstance(logical_date, ArgNotSet):
        logical: dt.datetime | None = pendulum.now("UTC")
    elif logical_date is None:
        logical = None
    else:
        aware = (
            pendulum.instance(logical_date) if logical_date.tzinfo else pendulum.instance(logical_date, tz=dag.timezone)
        )
        # Kept in UTC, as a run's dates are when read back from Airflow's database.
        logical = aware.in_timezone("UTC")
    start, end = _data_interval(dag, logical)
    if conf:
        # Validates the conf against the DAG's params before anything runs, as triggering does.
        params = dag.params.__deepcopy__({})
        params.update(conf)
        params.validate()
    return DagRunRecord(
        dag_id=dag.dag_id,
        run_id=f"manual__{run_after.isoformat()}",
        run_type="manual",
        logical_date=logical,
        data_interval_start=start,
        data_interval_end=end,
        run_after=run_after,
        conf=dict(conf or {}),
        start_date=logical or run_after,
        triggered_by="test",
    )


def _run_trigger(deferral: Any) -> Any:
    """Runs a deferred task's trigger here until its first event (what the triggerer would do)."""
    import asyncio  # only a deferred task needs an event loop here

    from riir_airflow.runtime.triggers import first_event

    timeout = deferral.timeout.total_seconds() if deferral.timeout else None
    return asyncio.run(first_event(deferral.trigger, timeout))


class LocalRun:
    """One run of `dags test`: the engine over the memory store, tries run here one after another."""

    def __init__(self, dag: Any, run: DagRunRecord, history: RunHistory | None = None) -> None:
        self.dag = dag
        self.runs = InMemoryRunStore(run, history)
        for task in dag.tasks:
            if not task_in_run(task.start_date, task.end_date, run.logical_date, run.run_type):
                continue  # as Airflow: no task instance at all (the task neither runs nor shows in the run)
            self.runs.task_instances[(task.task_id, -1)] = TaskInstanceRecord(
                task.task_id, -1, max_tries=int(task.retries or 0)
            )
        self.engine = RunEngine(dag, MemoryStore(self.runs), expansion_length)

    def start_try(self, record: TaskInstanceRecord) -> None:
        """The claim: the scheduled try (the engine counted it) runs from now."""
        record.state = "running"
        record.start_date = pendulum.now("UTC")
        record.end_date = None

    def run_try(self, record: TaskInstanceRecord, printer: Any) -> None:
        task = self.dag.task_dict[record.task_id]
        self.start_try(record)
        group_index = group_map_index(task, record.map_index)
        outcome: TryOutcome = run_try(task, record, self.runs, group_map_index=group_index)
        while outcome.state == "deferred" and outcome.deferral is not None:
            deferral = outcome.deferral
            try:
                event = _run_trigger(deferral)
            except TimeoutError:
                from riir_airflow.exceptions import TaskDeferralTimeout

                outcome = TryOutcome("failed", error=TaskDeferralTimeout("Trigger/execution timeout"))
                break
            kwargs = {**(deferral.kwargs or {}), "event": getattr(event, "payload", event)}
            outcome = run_try(
                task, record, self.runs, group_map_index=group_index, next_method=deferral.method_name,
                next_kwargs=kwargs,
            )  # fmt: skip
        if outcome.trigger is not None:
            self.runs.xcom_set(record.task_id, record.map_index, "trigger_run_id", outcome.trigger.dag_run_id)  # type: ignore[attr-defined]
        if outcome.state == "success" and outcome.asset_events:
            self.runs.record_asset_events(record.task_id, record.map_index, outcome.asset_events)
        self.record(record, outcome)
        printer(record)

    def record(self, record: TaskInstanceRecord, outcome: TryOutcome) -> None:
        """Writes a try's result into the store (what the app's result write does in the metastore)."""
        now = pendulum.now("UTC")
        record.end_date = now
        record.rendered_fields = outcome.rendered_fields
        record.rendered_map_index = outcome.rendered_map_index
        record.state = outcome.state
        if outcome.cache is not None:  # a hit is a success noted "cached: ..."; a later miss drops that note
            record.note = outcome.cache.note if outcome.cache.hit else None
        if outcome.state == "up_for_retry":
            # As Airflow's prepare_db_for_next_try: the next try starts with no reschedules.
            record.reschedule_count, record.first_reschedule_date = 0, None
            task = self.dag.task_dict[record.task_id]
            record.next_retry_at = next_retry_datetime(
                task, self.dag.dag_id, self.runs.run.logical_date, record.try_number, now
            )
        elif outcome.state == "up_for_reschedule":
            if record.first_reschedule_date is None:
                record.first_reschedule_date = record.start_date
            record.reschedule_count += 1
            record.reschedule_at = outcome.reschedule_date
        for key in outcome.skip_tasks:
            skipped = self.runs.task_instances.get(key)
            if skipped is None and key[1] >= 0:
                skipped = self.runs.task_instances.get((key[0], -1))
            if skipped is not None and skipped.state not in FINISHED_TASK_STATES:
                skipped.state = "skipped"

    def records(self) -> list[TaskInstanceRecord]:
        return sorted(self.runs.task_instances.values(), key=lambda r: (r.task_id, r.map_index))


def _dag_callbacks(dag: Any, local: LocalRun, run: DagRunRecord) -> None:
    callbacks = dag.on_success_callback if run.state == "success" else dag.on_failure_callback
    if not callbacks:
        return
    records = local.records()
    if not records:
        return
    last = max(records, key=lambda r: r.end_date or run.start_date or run.run_after)
    ti = RuntimeTaskInstance(dag.task_dict[last.task_id], last, local.runs)
    context = build_context(dag.task_dict[last.task_id], ti, local.runs)
    context["reason"] = "success" if run.state == "success" else "task_failure"
    for callback in callbacks if isinstance(callbacks, list) else [callbacks]:
        try:
            run_callable(callback, context)
        except Exception:
            log.exception("Failed to run DAG callback %s", callback)


def run_dag_locally(
    dag: Any,
    run_after: dt.datetime | None = None,
    logical_date: Any = NOTSET,
    run_conf: dict[str, Any] | None = None,
    conn_file_path: str | None = None,
    variable_file_path: str | None = None,
    use_executor: bool = False,
    mark_success_pattern: Any = None,
    printer: Any = None,
    history: RunHistory | None = None,
    active_assets: ActiveAssets | None = None,
) -> DagTestResult:
    """Runs the DAG once, here, and returns the finished run. Runs sharing a `history` see each other as Airflow's
    `dags test` runs sharing its database do (depends_on_past, prev_*_success, xcom_pull across runs).
    `active_assets`: the active assets of the DAG folder (schedules/asset_activation.py); by default those of this
    DAG alone."""
    dag.check_cycle()
    run = create_test_run(dag, logical_date, run_after, run_conf)
    local = LocalRun(dag, run, history)
    local.runs.active_assets = active_assets if active_assets is not None else ActiveAssets.of_dags([dag])
    printer = printer or (lambda record: None)
    announced = False
    while True:
        decided = run_sync(local.engine.schedule_run(run.run_id, run.logical_date, pendulum.now("UTC")))
        if decided.run_state != "running":
            break
        ready = [local.runs.task_instances[ti.key] for ti in decided.ready]  # in the planner's priority order
        if not ready:
            awaiting = sorted({r.task_id for r in local.runs.task_instances.values() if r.state == "awaiting_input"})
            if awaiting and decided.wakeup is None:
                # As Airflow's dags test: human-in-the-loop tasks stay parked; nothing here can answer them (a
                # person answers through the REST API of a broker sharing the run's metastore, i.e. under the app).
                if not announced:
                    print(f"Waiting for Human-in-the-loop input for tasks: {awaiting}", flush=True)
                    announced = True
                log.info("Waiting for Human-in-the-loop input for tasks: %s", awaiting)
                time.sleep(1)
                continue
            wakeup = decided.wakeup
            pause = (wakeup - pendulum.now("UTC")).total_seconds() if wakeup else 0.05
            time.sleep(min(max(pause, 0.001), 1.0))
            continue
        for record in ready:
            local.run_try(record, printer)
    if run.end_date is None:
        run.end_date = pendulum.now("UTC")
    _dag_callbacks(dag, local, run)
    # As Airflow's DagRun.update_state: listeners hear the end of the run (`dags test` never announces the start,
    # the run is created running).
    if run.state == "success":
        notify("on_dag_run_success", dag_run=run, msg="success")
    else:
        notify("on_dag_run_failed", dag_run=run, msg="task_failure")
    return DagTestResult(run, local.runs)
