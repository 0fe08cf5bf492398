"""Runs one try of one task in the current process and maps its outcome to a state, as Airflow's task runner does.

Rendering, pre/post hooks, callbacks, execution_timeout, XCom pushing (return value, multiple_outputs, mapped
lengths) and the exception -> state table (skip, fail-fast, retry, reschedule, defer, downstream skips, triggering
another DAG) all follow Airflow 3.3's `task_runner.py`.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import inspect
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from riir_airflow.authoring.current_context import context_to_airflow_vars, current_context
from riir_airflow.engine.asset_events import EventToRegister, dag_asset_resolver, events_to_register
from riir_airflow.engine.records import XCOM_RETURN_KEY, OtherDags, RunStore, TaskInstanceRecord
from riir_airflow.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowInactiveAssetInInletOrOutletException,
    AirflowRescheduleException,
    AirflowRuntimeError,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTerminated,
    AirflowTaskTimeout,
    DagRunAlreadyExists,
    DagRunTriggerException,
    DownstreamTasksSkipped,
    TaskAwaitingInput,
    TaskDeferred,
    UnmappableXComTypePushed,
    XComForMappingNotPushed,
)
from riir_airflow.plugins.listener_calls import notify
from riir_airflow.runtime.file_cache import CachedTry, CacheStatus
from riir_airflow.runtime.rendered import serialize_rendered_fields
from riir_airflow.runtime.task_instance import RuntimeTaskInstance, build_context
from riir_airflow.schedules.asset_activation import task_asset_keys
from riir_airflow.states import TaskInstanceState

log = logging.getLogger("airflow.task")


@dataclass
class TryOutcome:
    """How a try ended and what it asks the engine to do next."""

    state: str
    error: BaseException | None = None
    skip_tasks: list[tuple[str, int]] = field(default_factory=list)
    trigger: DagRunTriggerException | None = None
    reschedule_date: dt.datetime | None = None
    deferral: TaskDeferred | None = None
    rendered_fields: dict[str, Any] | None = None
    rendered_map_index: str | None = None
    awaiting: TaskAwaitingInput | None = None
    # Asset events a successful try registers (its outlets, with the extras and alias events it emitted).
    asset_events: list[EventToRegister] = field(default_factory=list)
    # A `cache="file"` task's use of the cache: a hit did not run the task (see runtime.file_cache).
    cache: CacheStatus | None = None


@contextlib.contextmanager
def execution_timeout(seconds: float | None) -> Iterator[None]:
    """Raises AirflowTaskTimeout in the main thread after `seconds` (a SIGALRM timer, as Airflow's timeout)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return
    if seconds <= 0:
        raise AirflowTaskTimeout()

    def on_alarm(signum: int, frame: Any) -> None:
        raise AirflowTaskTimeout(f"Timeout, PID: {os.getpid()}")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_callable(fn: Callable[..., Any], *args: Any) -> Any:
    """Calls a hook or callback; coroutines are run to completion."""
    result = fn(*args)
    if inspect.isawaitable(result):
        import asyncio  # only for coroutine callbacks: most tries never need an event loop

        return asyncio.run(_await(result))
    return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


def run_callbacks(task: Any, kind: str, context: Mapping[str, Any]) -> None:
    """Runs every callback of one kind; a failing callback is logged and never changes the task's state."""
    for index, callback in enumerate(getattr(task, kind, None) or []):
        try:
            run_callable(callback, context)
        except Exception:
            log.exception("Failed to run task callback kind=%s index=%s callback=%s", kind, index, callback)


def prepare_task(task: Any, context: Mapping[str, Any], map_index: int) -> Any:
    """A private copy of the operator for this try (mapped tasks are unmapped for their index)."""
    if getattr(task, "is_mapped", False):
        return task.unmap(context, map_index)
    clone = copy.copy(task)
    for name in getattr(clone, "template_fields", ()):
        if hasattr(clone, name):
            object.__setattr__(clone, name, copy.deepcopy(getattr(clone, name)))
    # Mutable per-try state must not leak into the DAG's own operator object.
    for name in ("inlets", "outlets", "op_kwargs", "op_args"):
        value = clone.__dict__.get(name)
        if isinstance(value, (list, dict)):
            object.__setattr__(clone, name, copy.copy(value))
    return clone


def _has_mapped_dependants(task: Any) -> bool:
    """True when a mapped task (or mapped group) downstream expands over this task's output."""
    dag = task.dag
    return dag is not None and task.task_id in mapping_sources(dag)


def mapping_sources(dag: Any) -> frozenset[str]:
    """Ids of tasks whose output some mapped task or mapped task group expands over, cached per DAG (the fork
    server works it out before it forks: it walks every literal a task is mapped over)."""
    sources: frozenset[str] | None = dag.__dict__.get("_mapping_sources")
    if sources is None:
        sources = dag.__dict__["_mapping_sources"] = _mapping_sources(dag)
    return sources


def _mapping_sources(dag: Any) -> frozenset[str]:
    from riir_airflow.authoring.xcom_arg import XComArg

    found: set[str] = set()
    for down in dag.tasks:
        if getattr(down, "is_mapped", False):
            found.update(op.task_id for op, _ in XComArg.iter_xcom_references(down.expand_input.value))
        group = getattr(down, "task_group", None)
        while group is not None:
            expand_input = getattr(group, "_expand_input", None)
            if expand_input is not None:
                found.update(op.task_id for op, _ in XComArg.iter_xcom_references(expand_input.value))
            group = group.parent_group
    return frozenset(found)


def _push_xcom_if_needed(result: Any, task: Any, ti: RuntimeTaskInstance, store: RunStore) -> None:
    value = result if task.do_xcom_push else None
    # Only an unmapped instance's output is expanded over (a mapped one's is pulled with its siblings').
    expanded_over = ti.map_index < 0 and _has_mapped_dependants(task)
    if value is None:
        if expanded_over:
            raise XComForMappingNotPushed()
        return
    if expanded_over:
        from collections.abc import Sequence

        if not isinstance(value, (Sequence, dict)) or isinstance(value, (str, bytes)):
            raise UnmappableXComTypePushed(value)
    if task.multiple_outputs:
        if not isinstance(value, Mapping):
            raise TypeError(f"Returned output was type {type(value)} expected dictionary for multiple_outputs")
        for key in value:
            if not isinstance(key, str):
                raise TypeError(
                    "Returned dictionary keys must be strings when using "
                    f"multiple_outputs, found {key} ({type(key)}) instead"
                )
        for key, item in value.items():
            ti.xcom_push(key, item)
    ti.xcom_push(XCOM_RETURN_KEY, result)


def _execute(task: Any, context: dict[str, Any], next_method: str | None, next_kwargs: dict[str, Any] | None) -> Any:
    os.environ.update(context_to_airflow_vars(context, in_env_var_format=True))
    from riir_airflow.authoring.baseoperator import BaseOperator

    if task._pre_execute_hook is not None:
        run_callable(task._pre_execute_hook, context)
    if type(task).pre_execute is not BaseOperator.pre_execute:
        run_callable(task.pre_execute, context)
    run_callbacks(task, "on_execute_callback", context)
    timeout = task.execution_timeout.total_seconds() if task.execution_timeout else None
    try:
        with execution_timeout(timeout):
            if next_method:
                result = task.resume_execution(next_method, next_kwargs, context)
            else:
                result = task.execute(context)
            if inspect.isawaitable(result):
                import asyncio

                result = asyncio.run(_await(result))
    except AirflowTaskTimeout:
        task.on_kill()
        raise
    if task._post_execute_hook is not None:
        run_callable(task._post_execute_hook, context, result)
    if type(task).post_execute is not BaseOperator.post_execute:
        run_callable(task.post_execute, context, result)
    return result


def _check_assets_active(task: Any, store: RunStore) -> None:
    """As Airflow's task runner before it runs a task: an inactive asset in its inlets or outlets (another asset
    with the same name or URI is the active one) fails the try, without retries."""
    keys = task_asset_keys(task)
    if keys and (inactive := store.inactive_assets(keys)):
        raise AirflowInactiveAssetInInletOrOutletException(inactive)


def run_try(
    dag_task: Any,
    record: TaskInstanceRecord,
    store: RunStore,
    *,
    group_map_index: int | None = None,
    next_method: str | None = None,
    next_kwargs: dict[str, Any] | None = None,
) -> TryOutcome:
    """Runs one try of `record` (already counted in record.try_number) and returns its outcome."""
    placeholder = RuntimeTaskInstance(dag_task, record, store, group_map_index)
    context = build_context(dag_task, placeholder, store)
    outcome: TryOutcome
    task = dag_task
    rendered: dict[str, Any] | None = None
    try:
        with current_context(context):
            task = prepare_task(dag_task, context, record.map_index)
            ti = RuntimeTaskInstance(task, record, store, group_map_index)
            context.update(task=task, ti=ti, task_instance=ti)
            store.xcom_clear(record.task_id, record.map_index)
            object.__setattr__(task, "_lock_for_execution", True)
            task.render_template_fields(context)
            # Stored as rendered before execute() runs (Airflow does the same); none for tasks without fields.
            rendered = serialize_rendered_fields(task) or None
            notify("on_starting", component=TaskRunnerMarker())
            _check_assets_active(task, store)
            notify("on_task_instance_running", previous_state=TaskInstanceState.QUEUED, task_instance=ti)
            # cache="file": a try whose key (input files, code version, params) was seen succeed is not run.
            cached = None
            if getattr(task, "cache", None) == "file" and not next_method:
                cached = CachedTry.open(task, context)
            try:
                if cached is not None and cached.hit:
                    result = cached.result()
                else:
                    result = _execute(task, context, next_method, next_kwargs)
            finally:
                template = context.get("map_index_template")
                if template:
                    with contextlib.suppress(Exception):
                        ti.rendered_map_index = task.get_template_env().from_string(template).render(**context)
            _push_xcom_if_needed(result, task, ti, store)
            if cached is not None and not cached.hit:
                cached.save(task, result)
        outcome = TryOutcome(
            "success",
            rendered_fields=rendered,
            rendered_map_index=ti.rendered_map_index,
            cache=None if cached is None else cached.status(),
        )
        outcome.asset_events = _asset_events(task, context)
    except DownstreamTasksSkipped as skip:
        tasks = skip.tasks if isinstance(skip.tasks, list) else [skip.tasks]
        keys: list[tuple[str, int]] = [
            (t, record.map_index) if isinstance(t, str) else (str(t[0]), int(t[1]))  # type: ignore[arg-type]
            for t in tasks
        ]
        outcome = TryOutcome("success", skip_tasks=keys, rendered_fields=rendered)
        outcome.asset_events = _asset_events(task, context)
    except DagRunTriggerException as trigger:
        if store.other_dags is None:
            # As Airflow's task runner: the triggered run's id is the task's XCom (its extra link reads it).
            store.xcom_set(record.task_id, record.map_index, "trigger_run_id", getattr(trigger, "dag_run_id", None))
            outcome = TryOutcome("success", trigger=trigger, rendered_fields=rendered)
        else:
            outcome = _trigger_dag_run(trigger, store, store.other_dags, record, rendered)
        if outcome.state == "success":
            outcome.asset_events = _asset_events(task, context)
    except TaskDeferred as deferral:
        outcome = TryOutcome("deferred", deferral=deferral, rendered_fields=rendered)
    except TaskAwaitingInput as awaiting:
        outcome = TryOutcome("awaiting_input", awaiting=awaiting, rendered_fields=rendered)
    except AirflowSkipException as exc:
        if exc.args:
            log.info("Skipping task. Reason: %s", exc)
        outcome = TryOutcome("skipped", rendered_fields=rendered)
    except AirflowRescheduleException as exc:
        outcome = TryOutcome("up_for_reschedule", reschedule_date=exc.reschedule_date, rendered_fields=rendered)
    except (AirflowFailException, AirflowSensorTimeout, AirflowTaskTerminated) as exc:
        log.exception("Task failed with exception")
        outcome = TryOutcome("failed", error=exc, rendered_fields=rendered)
    except (AirflowTaskTimeout, AirflowException, AirflowRuntimeError, SystemExit, Exception) as exc:
        log.exception("Task failed with exception")
        should_retry = record.try_number <= record.max_tries
        outcome = TryOutcome("up_for_retry" if should_retry else "failed", error=exc, rendered_fields=rendered)
    except BaseException as exc:  # KeyboardInterrupt and friends still end the try as a failure
        log.exception("Task failed with exception")
        outcome = TryOutcome("failed", error=exc, rendered_fields=rendered)
    if getattr(task, "overwrite_rtif_after_execution", False) and task.template_fields:
        # As Airflow's finalize: such operators (`@task.bash`) set their fields while running; store those.
        outcome.rendered_fields = serialize_rendered_fields(task) or None
    finalize(task, outcome, context)
    return outcome


def _trigger_dag_run(
    trigger: Any,  # DagRunTriggerException, whose fields the operator sets
    store: RunStore,
    other: OtherDags,
    record: TaskInstanceRecord,
    rendered: dict[str, Any] | None,
) -> TryOutcome:
    """TriggerDagRunOperator, as Airflow's task runner does it: create the run now (reset it if it exists and
    `reset_dag_run`), push its run id, and with `wait_for_completion` poll its state every `poke_interval` until it
    is in `allowed_states` (success) or `failed_states` (a failure, retried per `retries`); with `deferrable` the
    wait is a DagStateTrigger in the app's loop, and the operator's execute_complete ends the try."""
    dag_id, run_id = trigger.trigger_dag_id, trigger.dag_run_id
    log.info("Triggering Dag Run. trigger_dag_id=%s", dag_id)
    outcome = other.trigger_dag_run(
        dag_id, run_id, logical_date=trigger.logical_date, conf=trigger.conf, reset_dag_run=trigger.reset_dag_run,
        note=trigger.note,
    )  # fmt: skip
    if outcome == "exists":
        if trigger.skip_when_already_exists:
            log.info("Dag Run already exists, skipping task as skip_when_already_exists is set to True. dag_id=%s",
                     dag_id)  # fmt: skip
            return TryOutcome("skipped", rendered_fields=rendered)
        log.error("Dag Run already exists, marking task as failed. dag_id=%s", dag_id)
        return TryOutcome("failed", error=DagRunAlreadyExists(f"A Dag Run {run_id} of {dag_id} already exists"),
                          rendered_fields=rendered)  # fmt: skip
    if outcome == "refused":
        error = AirflowException(f"This app may not trigger DAG {dag_id} (db grant-app --trigger-dags)")
        log.error("%s", error)
        return TryOutcome("failed", error=error, rendered_fields=rendered)
    log.info("Dag Run triggered successfully. trigger_dag_id=%s", dag_id)
    store.xcom_set(record.task_id, record.map_index, "trigger_run_id", run_id)
    if trigger.wait_for_completion and trigger.deferrable:
        from riir_airflow.authoring.standard.triggers import DagStateTrigger

        waiting = DagStateTrigger(dag_id=dag_id, states=[*trigger.allowed_states, *trigger.failed_states],
                                  run_ids=[run_id], poll_interval=float(trigger.poke_interval))  # fmt: skip
        deferral = TaskDeferred(trigger=waiting, method_name="execute_complete")
        return TryOutcome("deferred", deferral=deferral, rendered_fields=rendered)
    if trigger.wait_for_completion:
        allowed, failed = list(trigger.allowed_states), list(trigger.failed_states)
        while True:
            log.info("Waiting for dag run to complete execution in allowed state. dag_id=%s run_id=%s "
                     "allowed_state=%s", dag_id, run_id, allowed)  # fmt: skip
            time.sleep(float(trigger.poke_interval))
            state = other.dag_run_state(dag_id, run_id)
            if state in failed:
                log.error("DagRun finished with failed state. dag_id=%s state=%s", dag_id, state)
                error = AirflowException(f"{dag_id} failed with failed state {state}")
                should_retry = record.try_number <= record.max_tries
                return TryOutcome("up_for_retry" if should_retry else "failed", error=error, rendered_fields=rendered)
            if state in allowed:
                log.info("DagRun finished with allowed state. dag_id=%s state=%s", dag_id, state)
                break
    return TryOutcome("success", rendered_fields=rendered)


def _asset_events(task: Any, context: Mapping[str, Any]) -> list[EventToRegister]:
    if not task.outlets:
        return []  # what the rules below give a task without outlets, without loading the directory-asset code
    from riir_airflow.runtime.manifests import apply_dir_assets

    events = events_to_register(list(task.outlets), context["outlet_events"], dag_asset_resolver(task.dag))
    return apply_dir_assets(task.outlets, events)


def _push_extra_links(task: Any, ti: RuntimeTaskInstance) -> None:
    """Each of the operator's own extra links is stored as an XCom (`_link_<Class>`), as Airflow's finalize does."""
    for link in getattr(task, "operator_extra_links", ()) or ():
        try:
            ti.xcom_push(link.xcom_key, link.get_link(operator=task, ti_key=ti))
        except Exception:
            log.exception("Failed to push an xcom for task operator extra link %s", getattr(link, "name", link))


class TaskRunnerMarker:
    """The `component` lifecycle listeners get for a task process (Airflow's marker class of the same name)."""


def finalize(task: Any, outcome: TryOutcome, context: dict[str, Any]) -> None:
    """State callbacks and listener hooks after a try, as Airflow runs them in the task process."""
    if outcome.error is not None:
        context["exception"] = outcome.error
    kind = {
        "success": "on_success_callback",
        "skipped": "on_skipped_callback",
        "up_for_retry": "on_retry_callback",
        "failed": "on_failure_callback",
    }.get(outcome.state)
    if kind is None:
        return
    found = context.get("ti")
    # None when the try ended before its task instance was made (e.g. unmapping failed): nothing ran.
    ti = found if isinstance(found, RuntimeTaskInstance) and found.task is task else None
    with current_context(context):
        if ti is not None:
            _push_extra_links(task, ti)
        run_callbacks(task, kind, context)
    if ti is None:
        return
    if outcome.state == "success":
        notify("on_task_instance_success", previous_state=TaskInstanceState.RUNNING, task_instance=ti)
    elif outcome.state == "skipped":
        notify("on_task_instance_skipped", previous_state=TaskInstanceState.RUNNING, task_instance=ti)
    else:
        running = TaskInstanceState.RUNNING
        notify("on_task_instance_failed", previous_state=running, task_instance=ti, error=outcome.error)
    notify("before_stopping", component=TaskRunnerMarker())
