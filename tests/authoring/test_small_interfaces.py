"""Behaviour of the small Airflow interfaces that the import-parity work added (triggers, resources, time zones,
retry policies, deadlines), checked against the semantics of Airflow 3.3.2's implementations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pendulum
import pytest

from riir_airflow.authoring.module_loading import import_string
from riir_airflow.providers.standard.triggers.file import FileTrigger
from riir_airflow.providers.standard.triggers.temporal import DateTimeTrigger, TimeDeltaTrigger
from riir_airflow.sdk import (
    AsyncCallback,
    DeadlineAlert,
    DeadlineReference,
    ExceptionRetryPolicy,
    RetryAction,
    RetryRule,
    SyncCallback,
)
from riir_airflow.triggers.base import TaskSuccessEvent, TriggerEvent
from riir_airflow.utils import timezone
from riir_airflow.utils.operator_resources import Resources


async def _first_event(trigger: object) -> TriggerEvent:
    async for event in trigger.run():  # type: ignore[attr-defined]
        return event
    raise AssertionError("trigger finished without an event")


async def test_time_delta_trigger_fires_once_at_its_moment_and_round_trips() -> None:
    trigger = TimeDeltaTrigger(dt.timedelta(milliseconds=200))
    classpath, kwargs = trigger.serialize()
    assert classpath.endswith("triggers.temporal.DateTimeTrigger")  # serialized as the moment, as in Airflow
    rebuilt = import_string(classpath)(**kwargs)
    event = await _first_event(rebuilt)
    assert event == TriggerEvent(trigger.moment)
    assert pendulum.now("UTC") >= trigger.moment


async def test_date_time_trigger_end_from_trigger_and_validation() -> None:
    past = pendulum.now("UTC").subtract(seconds=1)
    assert isinstance(await _first_event(DateTimeTrigger(past, end_from_trigger=True)), TaskSuccessEvent)
    with pytest.raises(ValueError, match="naive"):
        DateTimeTrigger(dt.datetime(2024, 1, 1))
    with pytest.raises(TypeError, match="exactly one"):
        DateTimeTrigger()
    templated = DateTimeTrigger(target_time="2024-01-01T00:00:00+02:00")
    assert templated.moment == pendulum.datetime(2023, 12, 31, 22, tz="UTC")


async def test_file_trigger_waits_for_the_file(tmp_path: Path) -> None:
    target = tmp_path / "data.csv"
    trigger = FileTrigger(str(tmp_path / "*.csv"), poke_interval=0.05)
    target.write_text("x")
    assert (await _first_event(trigger)).payload is True
    assert FileTrigger(**trigger.serialize()[1]).serialize() == trigger.serialize()


def test_resources_defaults_and_validation() -> None:
    resources = Resources(cpus=2)
    assert resources.to_dict()["cpus"] == {"name": "CPU", "qty": 2, "units_str": "core(s)"}
    assert (resources.ram.qty, resources.disk.qty, resources.gpus.qty) == (512, 512, 0)
    assert Resources.from_dict(resources.to_dict()) == resources
    with pytest.raises(ValueError, match="must be non-negative"):
        Resources(ram=-1)


def test_timezone_helpers() -> None:
    naive = dt.datetime(2024, 3, 10, 12, 30)
    assert timezone.convert_to_utc(naive) == pendulum.datetime(2024, 3, 10, 12, 30, tz="UTC")
    assert timezone.make_naive(pendulum.datetime(2024, 1, 1, 5, tz="Europe/Paris")) == dt.datetime(2024, 1, 1, 4)
    assert timezone.datetime(2024, 1, 1).tzinfo is not None
    assert timezone.parse("2024-01-01").tzinfo is not None
    assert timezone.from_timestamp(0) == pendulum.datetime(1970, 1, 1, tz="UTC")
    assert timezone.coerce_datetime(None) is None
    aware = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert timezone.coerce_datetime(aware, pendulum.timezone("UTC")).utcoffset() == dt.timedelta(hours=3)
    with pytest.raises(ValueError, match="naive"):
        timezone.make_naive(naive)


def test_exception_retry_policy_first_matching_rule_wins() -> None:
    policy = ExceptionRetryPolicy(
        rules=[
            RetryRule(exception=KeyError, action=RetryAction.FAIL, reason="bad key"),
            RetryRule(exception="builtins.LookupError", retry_delay=dt.timedelta(seconds=30)),
        ]
    )
    assert policy.evaluate(KeyError("k"), 1, 3).action is RetryAction.FAIL
    decision = policy.evaluate(IndexError("i"), 1, 3)
    assert (decision.action, decision.retry_delay) == (RetryAction.RETRY, dt.timedelta(seconds=30))
    assert decision.reason == "Matched rule for IndexError"
    assert policy.evaluate(ValueError(), 1, 3).action is RetryAction.DEFAULT
    assert ExceptionRetryPolicy.deserialize(policy.serialize()).serialize() == policy.serialize()
    with pytest.raises(ValueError, match="dotted import path"):
        RetryRule(exception="ValueError")


async def _notify(**kwargs: object) -> None:
    return None


def test_deadline_alert_declaration() -> None:
    alert = DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=dt.timedelta(hours=1),
        callback=AsyncCallback(_notify, kwargs={"to": "team"}),
    )
    assert alert.callback.serialize() == {"path": f"{__name__}._notify", "kwargs": {"to": "team"}}
    with pytest.raises(AttributeError, match="not awaitable"):
        AsyncCallback(test_deadline_alert_declaration)
    with pytest.raises(ValueError, match="reserved"):
        SyncCallback(_notify, kwargs={"context": 1})
    assert DeadlineReference.AVERAGE_RUNTIME().serialize_reference() == {
        "reference_type": "AverageRuntimeDeadline",
        "max_runs": 10,
        "min_runs": 10,
    }


def test_task_decorator_factory_builds_a_provider_style_decorator() -> None:
    from riir_airflow.authoring.decorators import _PythonDecoratedOperator
    from riir_airflow.decorators.base import task_decorator_factory
    from riir_airflow.sdk import DAG

    class _MyDecoratedOperator(_PythonDecoratedOperator):
        custom_operator_name = "@task.mine"

    def mine(python_callable: object = None, **kwargs: object) -> object:
        return task_decorator_factory(
            python_callable=python_callable,  # type: ignore[arg-type]
            decorated_operator_class=_MyDecoratedOperator,
            **kwargs,
        )

    with DAG("custom_decorator") as dag:

        @mine  # type: ignore[misc]
        def produce() -> int:
            return 1

        @mine(retries=3)  # type: ignore[misc]
        def consume(value: int) -> int:
            return value

        consume(produce())

    assert dag.task_dict["consume"].retries == 3
    assert dag.task_dict["consume"].upstream_task_ids == {"produce"}
    assert type(dag.task_dict["produce"]) is _MyDecoratedOperator


def test_subprocess_hook_returns_the_last_line(tmp_path: Path) -> None:
    from riir_airflow.hooks.subprocess import SubprocessHook

    result = SubprocessHook().run_command(["bash", "-c", "pwd; echo done; exit 3"], cwd=str(tmp_path))
    assert (result.exit_code, result.output) == (3, "done")


def test_base_async_operator_runs_aexecute_with_the_execution_timeout() -> None:
    import asyncio

    from riir_airflow.sdk import BaseAsyncOperator

    class Fetch(BaseAsyncOperator):
        async def aexecute(self, context: object) -> str:
            await asyncio.sleep(0)
            return "fetched"

    class Slow(BaseAsyncOperator):
        async def aexecute(self, context: object) -> None:
            await asyncio.sleep(5)

    assert Fetch(task_id="fetch").execute({}) == "fetched"
    with pytest.raises(TimeoutError):
        Slow(task_id="slow", execution_timeout=dt.timedelta(milliseconds=50)).execute({})


async def test_base_async_operator_inside_a_running_loop() -> None:
    from riir_airflow.sdk import BaseAsyncOperator

    class Fetch(BaseAsyncOperator):
        async def aexecute(self, context: object) -> int:
            return 7

    assert Fetch(task_id="fetch").execute({}) == 7


class _Store(dict[str, object]):
    def set(self, key: str, value: object) -> None:
        self[key] = value


def _resumable_operator(statuses: dict[str, str]) -> object:
    from riir_airflow.sdk import BaseOperator, ResumableJobMixin

    class Job(ResumableJobMixin, BaseOperator):
        submitted: list[str] = []

        def execute(self, context: object) -> object:
            return self.execute_resumable(context)

        def submit_job(self, context: object) -> str:
            job_id = f"job-{len(self.submitted) + 1}"
            self.submitted.append(job_id)
            return job_id

        def get_job_status(self, external_id: object, context: object) -> str:
            return statuses[str(external_id)]

        def is_job_active(self, status: str) -> bool:
            return status == "running"

        def is_job_succeeded(self, status: str) -> bool:
            return status == "done"

        def poll_until_complete(self, external_id: object, context: object) -> None:
            statuses[str(external_id)] = "done"

        def get_job_result(self, external_id: object, context: object) -> str:
            return f"result of {external_id}"

    return Job(task_id="job", retries=2)


def test_resumable_job_mixin_reconnects_or_resubmits() -> None:
    statuses: dict[str, str] = {}
    job: Any = _resumable_operator(statuses)
    assert job.durable is True and job.retries == 2
    store = _Store()
    assert job.execute({"task_state_store": store}) == "result of job-1"
    assert store == {"remote_job_id": "job-1"}
    # A retry after success: no resubmission.
    assert job.execute({"task_state_store": store}) == "result of job-1"
    # A retry while the job still runs: reconnect (Airflow returns poll_until_complete's value then).
    statuses["job-1"] = "running"
    assert job.execute({"task_state_store": store}) is None
    # A retry after the job failed: resubmit.
    statuses["job-1"] = "failed"
    assert job.execute({"task_state_store": store}) == "result of job-2"
    assert job.submitted == ["job-1", "job-2"]
    # Without a store every try submits.
    assert job.execute({}) == "result of job-3"


def test_external_dag_link_points_at_the_external_run() -> None:
    from types import SimpleNamespace

    from riir_airflow.sensors.external_task import ExternalDagLink, ExternalTaskSensor

    sensor = ExternalTaskSensor(task_id="wait", external_dag_id="upstream")
    link = ExternalDagLink()
    assert (link.name, link.xcom_key) == ("External DAG", "_link_ExternalDagLink")
    assert link.get_link(sensor, ti_key=SimpleNamespace(run_id="manual__1")) == "/dags/upstream/runs/manual__1"


def test_deferrable_operator_resumes_after_the_time_delta_trigger(tmp_path: Path) -> None:
    # The whole path: defer() with our trigger, the runtime runs trigger.run(), the task resumes with the payload.
    from riir_airflow.runtime.local import run_dag_locally
    from riir_airflow.sdk import DAG, BaseOperator

    class WaitThenReport(BaseOperator):
        def execute(self, context: object) -> None:
            self.defer(trigger=TimeDeltaTrigger(dt.timedelta(milliseconds=100)), method_name="resume")

        def resume(self, context: object, event: object = None) -> str:
            assert isinstance(event, dt.datetime)
            return "resumed"

    with DAG("deferring", schedule=None) as dag:
        WaitThenReport(task_id="wait")

    result = run_dag_locally(dag)
    assert result.state == "success"
    assert result.store.xcom_get_one("wait", -1, "return_value") == (True, "resumed")


def test_deferrable_time_delta_sensor_returns_what_airflows_returns() -> None:
    # Airflow 3.3.2: a deferrable TimeDeltaSensor whose moment has passed returns True (pushed as its XCom); one
    # that has to wait defers to a DateTimeTrigger and its execute_complete returns None (no XCom).
    from riir_airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
    from riir_airflow.runtime.local import run_dag_locally
    from riir_airflow.sdk import DAG

    with DAG("deferrable_delta_past", schedule=None) as past_dag:
        TimeDeltaSensor(task_id="passed", delta=dt.timedelta(seconds=30), deferrable=True)
        TimeDeltaSensor(task_id="sync", delta=dt.timedelta(seconds=30))
    with DAG("deferrable_delta_waits", schedule=None) as waiting_dag:
        TimeDeltaSensor(task_id="waits", delta=dt.timedelta(seconds=1), deferrable=True)

    past = run_dag_locally(past_dag, logical_date=pendulum.datetime(2024, 3, 5))
    assert past.state == "success"
    assert past.store.xcom_get_one("passed", -1, "return_value") == (True, True)
    assert past.store.xcom_get_one("sync", -1, "return_value")[0] is False

    soon = pendulum.now("UTC")
    waited = run_dag_locally(waiting_dag, logical_date=soon)
    assert waited.state == "success"
    assert waited.store.xcom_get_one("waits", -1, "return_value")[0] is False
    assert pendulum.now("UTC") >= soon.add(seconds=1)


async def test_directory_file_delete_trigger_fires_once_its_file_appears(tmp_path: Path) -> None:
    import asyncio

    from riir_airflow.providers.standard.triggers.file import DirectoryFileDeleteTrigger

    inbox = tmp_path / "inbox"  # missing at first: counts as empty
    trigger = DirectoryFileDeleteTrigger(directory=str(inbox), filename="us.flag", poke_interval=0.05)
    assert trigger.serialize() == (
        "riir_airflow.providers.standard.triggers.file.DirectoryFileDeleteTrigger",
        {"directory": str(inbox), "filename": "us.flag", "poke_interval": 0.05},
    )
    events = trigger.run()
    first = asyncio.ensure_future(events.__anext__())
    await asyncio.sleep(0.2)
    assert not first.done()
    inbox.mkdir()
    (inbox / "eu.flag").write_text("")  # a sibling's file is left alone
    (inbox / "us.flag").write_text("")
    event = await asyncio.wait_for(first, 5)
    assert event.payload == {"filepath": str(inbox / "us.flag")}
    assert sorted(p.name for p in inbox.iterdir()) == ["eu.flag"]


def test_task_state_store_keeps_values_across_tries_in_dags_test() -> None:
    # `context["task_state_store"]` in `dags test`: the run's in-memory store, shared by the tries of one task.
    from riir_airflow.runtime.local import run_dag_locally
    from riir_airflow.sdk import DAG, task

    with DAG("task_state_local", schedule=None) as dag:

        @task(retries=1, retry_delay=dt.timedelta(seconds=0))
        def submit(**context: Any) -> Any:
            store = context["task_state_store"]
            if context["ti"].try_number == 1:
                store.set("job_id", "job-1")
                raise RuntimeError("first try fails after submitting")
            with pytest.raises(ValueError, match="Cannot set value as None"):
                store.set("other", None)
            return store.get("job_id"), store.get("missing", "default")

        submit()

    result = run_dag_locally(dag)
    assert result.state == "success"
    assert result.store.xcom_get_one("submit", -1, "return_value") == (True, ("job-1", "default"))
