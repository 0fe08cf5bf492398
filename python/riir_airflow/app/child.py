"""What runs inside a task process, forked from the app's fork server (app/fork_server.py), which imported the DAG
file and never held a credential.

The child inherits the imported DAG (so a try starts in milliseconds). It first confines itself — output into its log
pipe, no descriptor of the app's but its channel, no credential in its environment, its pids cgroup, no ptrace
capability — none of which depends on the try, so the app may fork it before the try is known (a spare). Then it
reads its assignment (a `TaskStart`) from its channel, lowers the task's rlimits, talks to the app only over that
channel, and leaves with `os._exit` so that no inherited cleanup runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

import pendulum

from riir_airflow.app.channel import ChannelClient
from riir_airflow.app.fork_server import receive_start
from riir_airflow.app.limits import TaskCgroup, TaskLimits, address_space, apply_process_limit_for_user, lower_rlimits
from riir_airflow.app.sandbox import close_inherited_descriptors, confine_task, scrub_task_environment
from riir_airflow.authoring import secrets_backends as secrets
from riir_airflow.authoring import serde
from riir_airflow.config import conf
from riir_airflow.engine.messages import (
    AssetStateOp,
    AwaitingInput,
    CacheUse,
    Claim,
    CountExternal,
    Deferral,
    DeleteVariable,
    GetAssetEvents,
    GetConnection,
    GetDagRunState,
    GetInactiveAssets,
    GetVariable,
    ReportResult,
    SetVariable,
    TaskStateOp,
    TriggerDagRun,
    TryResult,
    UpsertHITLDetail,
    XComCount,
    XComGetAll,
    XComGetOne,
)
from riir_airflow.engine.records import DagRunRecord, OtherDags, TaskInstanceRecord
from riir_airflow.engine.vocabulary import PreviousSuccess
from riir_airflow.runtime.task_runner import TryOutcome, run_try
from riir_airflow.secrets_masker import secrets_masker

LOG_FORMAT = "[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s"


def run_forked(dags: dict[str, Any], channel_fd: int, log_fd: int, cgroup: str | None) -> NoReturn:
    """Entry of a process the fork server just forked: confine it, wait for its assignment, run it; never returns."""
    try:
        sock = socket.socket(fileno=channel_fd)
        base_address_space = confine(sock, log_fd, cgroup)
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    try:
        start = receive_start(sock)
    except ConnectionError:  # a spare the app no longer needs (it closed the channel, or it died)
        if cgroup is not None:
            with contextlib.suppress(OSError):
                TaskCgroup(Path(cgroup)).leave()
        os._exit(0)
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    if start.deadline is not None:
        sock.close()
        run_deadline_callback(*start.deadline)
    assert start.run is not None, "an assignment without its run"
    dag = dags.get(start.run.dag_id)
    if dag is None:
        print(f"this fork server's copy of the DAG file has no DAG {start.run.dag_id!r}", file=sys.stderr)
        os._exit(1)
    if start.claim is None:
        sock.close()
        run_dag_callbacks(dag, start.run, start.reason)
    run_child(dag, start.claim, start.run, sock, channel_token=start.token, limits=start.limits,
              base_address_space=base_address_space)  # fmt: skip


def confine(sock: socket.socket, log_fd: int, cgroup: str | None) -> int:
    """Everything a task process does to itself before its assignment (none of it depends on the try): detach from
    the app, nothing of the app's but the channel, no credentials in the environment, its pids cgroup, no ptrace
    capability, the secrets masker built. Returns the address space its memory limit is counted from."""
    _reset_process_state(log_fd)
    close_inherited_descriptors(keep=[sock.fileno()])
    scrub_task_environment()
    if cgroup is not None:
        TaskCgroup(Path(cgroup)).join()
    confine_task()
    secrets_masker()  # built from the config now: after run_as_user the config file may not be readable
    return address_space()


class ChannelRunStore:
    """XComs as a task process sees them: its own pushes stay here (sent with the result), others come from the app."""

    def __init__(
        self,
        run: DagRunRecord,
        client: ChannelClient,
        task_id: str,
        map_index: int,
        previous: PreviousSuccess | None = None,
    ) -> None:
        self.run = run
        self.previous = previous
        self.client = client
        self.task_instances: dict[tuple[str, int], TaskInstanceRecord] = {}
        self.own = (task_id, map_index)
        self.pushed: dict[str, Any] = {}
        self.other_dags: OtherDags | None = ChannelOtherDags(client)

    def previous_success(self) -> PreviousSuccess | None:
        return self.previous  # read by the app when it claimed the try

    def xcom_set(self, task_id: str, map_index: int, key: str, value: Any) -> None:
        self.pushed[key] = serde.serialize(value)

    def xcom_clear(self, task_id: str, map_index: int) -> None:
        self.pushed.clear()

    def xcom_get_one(
        self,
        task_id: str,
        map_index: int | None,
        key: str,
        *,
        dag_id: str | None = None,
        run_id: str | None = None,
        include_prior_dates: bool = False,
    ) -> tuple[bool, Any]:
        wanted = -1 if map_index is None else map_index
        this_run = dag_id is None and run_id is None
        if this_run and (task_id, wanted) == self.own and key in self.pushed and not include_prior_dates:
            return True, serde.deserialize(self.pushed[key])
        reply = self.client.request(
            XComGetOne(
                task_id=task_id, map_index=wanted, key=key, dag_id=dag_id, run_id=run_id,
                include_prior_dates=include_prior_dates,
            )
        )  # fmt: skip
        if not reply["found"]:
            return False, None
        return True, serde.deserialize(reply["value"])

    def xcom_get_all(
        self,
        task_id: str,
        key: str,
        *,
        dag_id: str | None = None,
        run_id: str | None = None,
        include_prior_dates: bool = False,
    ) -> list[Any] | None:
        values = self.client.request(
            XComGetAll(task_id=task_id, key=key, dag_id=dag_id, run_id=run_id, include_prior_dates=include_prior_dates)
        )
        return None if values is None else [serde.deserialize(v) for v in values]

    def xcom_count(self, task_id: str, key: str) -> int:
        return int(self.client.request(XComCount(task_id=task_id, key=key)))

    def asset_events(self, **query: Any) -> list[dict[str, Any]]:
        return list(self.client.request(GetAssetEvents(**query)))

    def hitl_upsert(self, task_id: str, map_index: int, detail: dict[str, Any]) -> None:
        self.client.request(UpsertHITLDetail(detail=detail))

    def asset_state(self, op: str, **fields: Any) -> Any:
        asset = fields.pop("asset", None)
        request = AssetStateOp(state_op=op, asset=list(asset) if asset else None, **fields)
        reply = self.client.request(request)
        return (reply["found"], reply["value"]) if op == "get" else None

    def task_state(
        self, task_id: str, map_index: int, op: str, key: str | None = None, value: Any = None,
        expires_at: str | None = None,
    ) -> Any:  # fmt: skip
        # The app answers for this try's own task instance only: task_id and map_index are its own.
        reply = self.client.request(TaskStateOp(state_op=op, key=key, value=value, expires_at=expires_at))
        return (reply["found"], reply["value"]) if op == "get" else None

    def inactive_assets(self, keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
        reply = self.client.request(GetInactiveAssets(keys=[[name, uri] for name, uri in keys]))
        return [(str(name), str(uri)) for name, uri in reply]


class ChannelOtherDags:
    """Other DAGs' runs through the app (which checks its grant): trigger one, read a run's state, count states."""

    def __init__(self, client: ChannelClient) -> None:
        self.client = client

    def trigger_dag_run(
        self, dag_id: str, run_id: str, *, logical_date: Any, conf: Any, reset_dag_run: bool, note: str | None
    ) -> str:
        when = None if logical_date is None else pendulum.instance(logical_date).isoformat()
        request = TriggerDagRun(dag_id=dag_id, run_id=run_id, logical_date=when, conf=conf,
                                reset_dag_run=reset_dag_run, note=note)  # fmt: skip
        return str(self.client.request(request)["outcome"])

    def dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        state = self.client.request(GetDagRunState(dag_id=dag_id, run_id=run_id))
        return None if state is None else str(state)

    def count_external(
        self,
        dag_id: str,
        logical_dates: list[Any],
        states: list[str],
        task_ids: list[str] | None,
        group_id: str | None,
    ) -> float:
        dates = [pendulum.instance(d).isoformat() for d in logical_dates]
        request = CountExternal(dag_id=dag_id, logical_dates=dates, states=list(states),
                                task_ids=None if task_ids is None else list(task_ids), group_id=group_id)  # fmt: skip
        return float(self.client.request(request))


class ChannelSecrets:
    """Variables and connections from the app's metastore (after the environment, as in Airflow)."""

    def __init__(self, client: ChannelClient) -> None:
        self.client = client

    def get_variable(self, key: str) -> str | None:
        value = self.client.request(GetVariable(key=key))
        return None if value is None else str(value)

    def get_conn_value(self, conn_id: str) -> str | None:
        value = self.client.request(GetConnection(conn_id=conn_id))
        return None if value is None else str(value)

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.client.request(SetVariable(key=key, value=value, description=description))

    def delete_variable(self, key: str) -> None:
        self.client.request(DeleteVariable(key=key))


def _reset_process_state(log_fd: int) -> None:
    """Detach from the app: own process group, default signals, no event loop, output into the log pipe."""
    os.setpgid(0, 0)
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD, signal.SIGALRM):
        signal.signal(sig, signal.SIG_DFL)
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - lives until os._exit
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    root = logging.getLogger()
    root.handlers = [logging.StreamHandler(sys.stderr)]
    root.handlers[0].setFormatter(logging.Formatter(LOG_FORMAT))
    root.setLevel(logging.INFO)


def _switch_user(name: str) -> None:
    """`run_as_user`: the task process drops to that user (the app must run as root to allow it)."""
    import pwd

    try:
        user = pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(f"run_as_user {name!r}: no such user on this machine") from None
    if os.getuid() != 0 and os.getuid() != user.pw_uid:
        raise RuntimeError(f"run_as_user {name!r} needs the DAG app to run as root")
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    os.environ.update(USER=user.pw_name, LOGNAME=user.pw_name, HOME=user.pw_dir)


def try_result(outcome: TryOutcome, pushed: dict[str, Any]) -> TryResult:
    """The typed result of a try, as the app records it (`pushed`: the XComs in serde form)."""
    deferral = None
    if outcome.deferral is not None:
        classpath, kwargs = outcome.deferral.trigger.serialize()
        deferral = Deferral(
            classpath=classpath,
            kwargs=serde.serialize(kwargs),
            method_name=outcome.deferral.method_name,
            next_kwargs=serde.serialize(outcome.deferral.kwargs or {}),
            timeout=outcome.deferral.timeout.total_seconds() if outcome.deferral.timeout else None,
        )
    awaiting = None
    if outcome.awaiting is not None:
        timeout = outcome.awaiting.timeout
        awaiting = AwaitingInput(
            method_name=outcome.awaiting.method_name,
            next_kwargs=serde.serialize(outcome.awaiting.kwargs or {}),
            timeout=timeout.total_seconds() if timeout is not None else None,
        )
    return TryResult(
        state=outcome.state,
        xcoms=dict(pushed),
        rendered_fields=outcome.rendered_fields,
        rendered_map_index=outcome.rendered_map_index,
        skip_tasks=tuple((str(t), int(i)) for t, i in outcome.skip_tasks),
        error=None if outcome.error is None else f"{type(outcome.error).__name__}: {outcome.error}",
        reschedule_date=outcome.reschedule_date,
        deferral=deferral,
        awaiting_input=awaiting,
        asset_events=tuple(event.as_json() for event in outcome.asset_events),
        cache=None if outcome.cache is None else CacheUse(note=outcome.cache.note, **outcome.cache.as_json()),
    )


def run_dag_callbacks(dag: Any, run: DagRunRecord, reason: str | None = None) -> NoReturn:
    """Runs the DAG's on_success/on_failure callbacks for a finished run (user code, so in its own process)."""
    code = 0
    try:
        from riir_airflow.runtime.task_instance import DagRunView
        from riir_airflow.runtime.task_runner import run_callable

        callbacks = dag.on_success_callback if run.state == "success" else dag.on_failure_callback
        context = {
            "dag": dag,
            "dag_run": DagRunView(run),
            "run_id": run.run_id,
            "params": dag.params.validate(),
            "reason": reason or ("success" if run.state == "success" else "task_failure"),
        }
        if run.logical_date is not None:
            context.update(logical_date=run.logical_date, ds=run.logical_date.strftime("%Y-%m-%d"))
        for callback in callbacks if isinstance(callbacks, list) else [callbacks]:
            try:
                run_callable(callback, context)
            except Exception:
                traceback.print_exc()
                code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def run_deadline_callback(callback: Any, context: dict[str, Any]) -> NoReturn:
    """Runs a missed deadline's callback (an AsyncCallback awaited, a SyncCallback called) with its kwargs, and
    `context` when it takes one, as Airflow's triggerer and callback supervisor do."""
    code = 0
    try:
        import inspect

        from riir_airflow.authoring.module_loading import import_string

        target = import_string(callback.path)
        kwargs = dict(callback.kwargs or {})
        parameters = inspect.signature(target).parameters.values()
        if any(p.name == "context" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
            kwargs["context"] = context
        result = target(**kwargs)
        if inspect.isawaitable(result):
            result = asyncio.run(_awaited(result))
        if result is not None:
            print(f"Deadline callback {callback.path} returned {result!r}")
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def run_child(
    dag: Any,
    claim: Claim,
    run: DagRunRecord,
    sock: socket.socket,
    *,
    channel_token: str | None = None,
    limits: TaskLimits | None = None,
    base_address_space: int | None = None,
) -> NoReturn:
    """Runs one try in a process that has confined itself (`confine`) and reports it; never returns. The task's
    own limits (memory, CPU time, open files, the user to run as) come first, before any of its code runs."""
    code = 0
    try:
        task = dag.task_dict[claim.task_id]
        if limits is not None:
            lower_rlimits(limits, address_space() if base_address_space is None else base_address_space)
        client = ChannelClient(sock, token=channel_token)
        secrets.set_store(ChannelSecrets(client))
        # Airflow's rule: the operator's run_as_user, else [core] default_impersonation.
        run_as = getattr(task, "run_as_user", None) or conf.get("core", "default_impersonation", fallback="")
        if run_as:
            _switch_user(str(run_as))
            if limits is not None:
                apply_process_limit_for_user(limits)
        store = ChannelRunStore(run, client, claim.task_id, claim.map_index, claim.previous_success)
        record = TaskInstanceRecord(
            claim.task_id,
            claim.map_index,
            state="running",
            try_number=claim.try_number,
            max_tries=claim.max_tries,
            start_date=pendulum.now("UTC"),
            first_reschedule_date=claim.first_reschedule_date,
            reschedule_count=claim.reschedule_count,
        )
        next_kwargs = serde.deserialize(claim.next_kwargs) if claim.next_kwargs is not None else None
        outcome = run_try(
            task,
            record,
            store,
            group_map_index=claim.group_map_index,
            next_method=claim.next_method,
            next_kwargs=next_kwargs,
        )
        client.send(ReportResult(try_result(outcome, store.pushed)))
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            # The app takes a try that reported its result as ended once its channel and output are closed: it
            # need not wait for this process's exit (the kernel tearing down its memory takes milliseconds).
            sock.close()
            os.close(1)
            os.close(2)
        finally:
            os._exit(code)
