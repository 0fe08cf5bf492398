"""The standard provider's sensors."""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import pendulum

from riir_airflow.authoring.sensor import BaseSensorOperator, PokeReturnValue
from riir_airflow.authoring.standard.bash import run_command
from riir_airflow.authoring.standard.empty import EmptyOperator
from riir_airflow.authoring.standard.links import ExternalDagLink
from riir_airflow.authoring.standard.python import determine_kwargs
from riir_airflow.authoring.standard.triggers import DateTimeTrigger, FileTrigger, TimeDeltaTrigger, WorkflowTrigger
from riir_airflow.authoring.standard.weekday import WeekDay, is_weekday_in
from riir_airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException


def _now() -> dt.datetime:
    return pendulum.now("UTC")


class PythonSensor(BaseSensorOperator):
    """Pokes `python_callable` until it returns a truthy value (or a PokeReturnValue that is done)."""

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        templates_dict: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.python_callable = python_callable
        self.op_args = op_args or []
        self.op_kwargs = op_kwargs or {}
        self.templates_dict = templates_dict

    def poke(self, context: Any) -> PokeReturnValue | bool:
        context.update(self.op_kwargs, templates_dict=self.templates_dict)
        kwargs = determine_kwargs(self.python_callable, self.op_args, context)
        result = self.python_callable(*self.op_args, **kwargs)
        if isinstance(result, PokeReturnValue):
            return result
        return PokeReturnValue(bool(result))


class BashSensor(BaseSensorOperator):
    """Succeeds when the bash command exits 0."""

    template_fields: Sequence[str] = ("bash_command", "env")

    def __init__(
        self,
        *,
        bash_command: str,
        env: dict[str, str] | None = None,
        output_encoding: str = "utf-8",
        retry_exit_code: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.output_encoding = output_encoding
        self.retry_exit_code = retry_exit_code

    def poke(self, context: Any) -> bool:
        bash = shutil.which("bash") or "bash"
        code, _ = run_command([bash, "-c", self.bash_command], self.env, self.output_encoding, None, self.log)
        if self.retry_exit_code is not None:
            if code == self.retry_exit_code:
                return False
            if code != 0:
                raise AirflowFailException(f"Command exited with return code {code}")
        return code == 0


def _as_timedelta(value: dt.timedelta | int) -> dt.timedelta:
    """A timedelta as given, or a number of minutes (what a templated value renders to)."""
    return value if isinstance(value, dt.timedelta) else dt.timedelta(minutes=int(value))


class TimeDeltaSensor(BaseSensorOperator):
    """Waits until `delta` after the run's data interval end (its run_after when it has none).

    With `deferrable=True` it returns True at once when that moment has passed (Airflow pushes that as the task's
    XCom), else defers to a `DateTimeTrigger` and returns None when the trigger fires.
    """

    template_fields: Sequence[str] = ("delta",)

    def __init__(
        self, *, delta: dt.timedelta | int, deferrable: bool = False, end_from_trigger: bool = False, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.delta = delta
        self.deferrable = deferrable
        self.end_from_trigger = end_from_trigger

    def _target(self, context: Any) -> dt.datetime:
        base = context.get("data_interval_end")
        if not base:
            dag_run = context.get("dag_run")
            if not dag_run:
                raise ValueError("`dag_run` not found in task context")
            base = dag_run.run_after
        return base + _as_timedelta(self.delta)  # type: ignore[no-any-return]

    def poke(self, context: Any) -> bool:
        return _now() > self._target(context)

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        target = self._target(context)
        if _now() > target:
            return True
        try:
            trigger = DateTimeTrigger(moment=target, end_from_trigger=self.end_from_trigger)
        except (TypeError, ValueError) as exc:
            if self.soft_fail:
                raise AirflowSkipException("Skipping due to soft_fail is set to True.") from exc
            raise
        self.defer(trigger=trigger, method_name="execute_complete", timeout=dt.timedelta(seconds=self.timeout))
        return None

    def execute_complete(self, context: Any, event: Any = None) -> None:
        """The trigger fired: done, nothing to return."""
        return None


class TimeDeltaSensorAsync(TimeDeltaSensor):
    """Deprecated alias of `TimeDeltaSensor(deferrable=True)`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("deferrable", True)
        super().__init__(**kwargs)


class WaitSensor(BaseSensorOperator):
    """Waits `time_to_wait` from the moment it starts (sleeping, or deferred to a trigger)."""

    template_fields: Sequence[str] = ("time_to_wait",)

    def __init__(self, *, time_to_wait: dt.timedelta | int, deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.time_to_wait = _as_timedelta(time_to_wait)
        self.deferrable = deferrable

    def execute(self, context: Any) -> None:
        if self.deferrable:
            self.defer(
                trigger=TimeDeltaTrigger(self.time_to_wait, end_from_trigger=True), method_name="execute_complete"
            )
        else:
            time.sleep(int(self.time_to_wait.total_seconds()))

    def execute_complete(self, context: Any, event: Any = None) -> None:
        return None


class TimeSensor(BaseSensorOperator):
    """Waits until a time of day, taken on the day the task is created in the DAG's time zone (as Airflow does)."""

    def __init__(
        self,
        *,
        target_time: dt.time,
        deferrable: bool = False,
        start_from_trigger: bool = False,
        end_from_trigger: bool = False,
        trigger_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        tz = self.dag.timezone if self.dag is not None else pendulum.UTC
        aware = pendulum.instance(dt.datetime.combine(dt.datetime.now(tz), target_time, tz))
        self.target_time = target_time
        self.target_datetime = aware.in_timezone("UTC")
        self.deferrable = deferrable
        self.start_from_trigger = start_from_trigger
        self.end_from_trigger = end_from_trigger
        self.trigger_kwargs = trigger_kwargs

    def execute(self, context: Any) -> Any:
        if self.deferrable:
            self.defer(
                trigger=DateTimeTrigger(moment=self.target_datetime, end_from_trigger=self.end_from_trigger),
                method_name="execute_complete",
            )
        return super().execute(context)

    def execute_complete(self, context: Any, event: Any = None) -> None:
        return None

    def poke(self, context: Any) -> bool:
        return _now() > self.target_datetime


class TimeSensorAsync(TimeSensor):
    """Deprecated alias of `TimeSensor(deferrable=True)`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("deferrable", True)
        super().__init__(**kwargs)


class DateTimeSensor(BaseSensorOperator):
    """Waits until a datetime (a datetime or a templated ISO string)."""

    template_fields: Sequence[str] = ("target_time",)

    def __init__(self, *, target_time: str | dt.datetime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(target_time, dt.datetime):
            self.target_time: str = target_time.isoformat()
        elif isinstance(target_time, str):
            self.target_time = target_time
        else:
            raise TypeError(f"Expected str or datetime.datetime type for target_time. Got {type(target_time)}")

    def poke(self, context: Any) -> bool:
        target = pendulum.parse(self.target_time)
        assert isinstance(target, dt.datetime)
        return _now() > target


class DateTimeSensorAsync(DateTimeSensor):
    """Defers to a `DateTimeTrigger` until `target_time`; returns None."""

    def __init__(self, *, end_from_trigger: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.end_from_trigger = end_from_trigger

    def execute(self, context: Any) -> None:
        moment = pendulum.parse(self.target_time)
        assert isinstance(moment, dt.datetime)
        self.defer(
            trigger=DateTimeTrigger(moment=moment, end_from_trigger=self.end_from_trigger),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Any, event: Any = None) -> None:
        return None


class FileSensor(BaseSensorOperator):
    """Waits until a file or folder matching `filepath` (a glob, relative to the connection's path) exists."""

    template_fields: Sequence[str] = ("filepath", "fs_conn_id")
    ui_color = "#91818a"

    def __init__(
        self,
        *,
        filepath: str,
        fs_conn_id: str = "fs_default",
        recursive: bool = False,
        deferrable: bool = False,
        start_from_trigger: bool = False,
        trigger_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filepath = filepath
        self.fs_conn_id = fs_conn_id
        self.recursive = recursive
        self.deferrable = deferrable
        self.start_from_trigger = start_from_trigger
        self.trigger_kwargs = trigger_kwargs

    def _base_path(self) -> str:
        from riir_airflow.authoring.connection import Connection
        from riir_airflow.exceptions import AirflowNotFoundException

        try:
            conn = Connection.get(self.fs_conn_id)
        except AirflowNotFoundException:
            if self.fs_conn_id == "fs_default":
                return ""
            raise
        return str(conn.extra_dejson.get("path", ""))

    @property
    def path(self) -> str:
        return os.path.join(self._base_path(), self.filepath)

    def execute(self, context: Any) -> None:
        if not self.deferrable:
            super().execute(context)
        elif not self.poke(context):
            self.defer(
                timeout=dt.timedelta(seconds=self.timeout),
                trigger=FileTrigger(filepath=self.path, recursive=self.recursive, poke_interval=self.poke_interval),
                method_name="execute_complete",
            )

    def execute_complete(self, context: Any, event: bool | None = None) -> None:
        if not event:
            raise AirflowException(f"{self.task_id} task failed as {self.filepath} not found.")
        self.log.info("%s completed successfully as %s found.", self.task_id, self.filepath)

    def poke(self, context: Any) -> bool:
        full = self.path
        for path in glob.glob(full, recursive=self.recursive):
            if os.path.isfile(path):
                return True
            for _, _, files in os.walk(path):
                if files:
                    return True
        return False


class DayOfWeekSensor(BaseSensorOperator):
    """Waits until the given week day(s)."""

    def __init__(
        self,
        *,
        week_day: str | Iterable[str] | WeekDay | Iterable[WeekDay],
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._week_day_num = WeekDay.validate_week_day(week_day)

    def poke(self, context: Any) -> bool:
        now = context["logical_date"] if self.use_task_logical_date else _now()
        return is_weekday_in(now, self._week_day_num)


class ExternalTaskSensor(BaseSensorOperator):
    """Waits for a task (or task group, or whole run) of another DAG to reach an allowed state."""

    operator_extra_links = [ExternalDagLink()]

    template_fields: Sequence[str] = (
        "external_dag_id",
        "external_task_id",
        "external_task_ids",
        "external_task_group_id",
    )
    ui_color = "#4db7db"

    def __init__(
        self,
        *,
        external_dag_id: str,
        external_task_id: str | None = None,
        external_task_ids: Collection[str] | None = None,
        external_task_group_id: str | None = None,
        allowed_states: Iterable[str] | None = None,
        skipped_states: Iterable[str] | None = None,
        failed_states: Iterable[str] | None = None,
        execution_delta: dt.timedelta | None = None,
        execution_date_fn: Callable[..., Any] | None = None,
        check_existence: bool = False,
        poll_interval: float | None = None,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if external_task_id is not None and external_task_ids is not None:
            raise ValueError(
                "Only one of `external_task_id` or `external_task_ids` may be provided to ExternalTaskSensor; "
                "please use `external_task_ids` or `external_task_id`."
            )
        if external_task_id is not None:
            external_task_ids = [external_task_id]
        if execution_delta is not None and execution_date_fn is not None:
            raise ValueError(
                "Only one of `execution_delta` or `execution_date_fn` may be provided to ExternalTaskSensor; not both."
            )
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.external_task_ids = external_task_ids
        self.external_task_group_id = external_task_group_id
        self.allowed_states = list(allowed_states or ["success"])
        self.skipped_states = list(skipped_states or [])
        self.failed_states = list(failed_states or [])
        self.execution_delta = execution_delta
        self.execution_date_fn = execution_date_fn
        self.check_existence = check_existence
        self.poll_interval = poll_interval
        self.deferrable = deferrable

    def _dates(self, context: Any) -> list[dt.datetime]:
        logical = context["logical_date"]
        if self.execution_delta is not None:
            return [logical - self.execution_delta]
        if self.execution_date_fn is not None:
            result = (
                self.execution_date_fn(logical, context)
                if self.execution_date_fn.__code__.co_argcount > 1
                else self.execution_date_fn(logical)
            )
            return result if isinstance(result, list) else [result]
        return [logical]

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        # Deferrable: the wait runs as a trigger in the DAG app's loop, not in a task process.
        trigger = WorkflowTrigger(
            external_dag_id=self.external_dag_id, logical_dates=self._dates(context),
            external_task_ids=self.external_task_ids, external_task_group_id=self.external_task_group_id,
            failed_states=self.failed_states, skipped_states=self.skipped_states, allowed_states=self.allowed_states,
            poke_interval=self.poll_interval or self.poke_interval, soft_fail=self.soft_fail,
        )  # fmt: skip
        self.defer(
            timeout=self.execution_timeout,
            trigger=trigger,
            method_name="execute_complete",
        )
        return None

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> None:
        """Airflow's answers to the trigger's event."""
        from riir_airflow.authoring.standard.exceptions import ExternalDagFailedError, ExternalTaskNotFoundError

        if event is None:
            raise ExternalTaskNotFoundError("No event received from trigger")
        if event["status"] == "success":
            self.log.info("External tasks %s has executed successfully.", self.external_task_ids)
        elif event["status"] == "skipped":
            raise AirflowSkipException("External job has skipped skipping.")
        elif event["status"] == "failed":
            if self.soft_fail:
                raise AirflowSkipException("External job has failed skipping.")
            raise ExternalDagFailedError("External job has failed.")
        else:
            if self.soft_fail:
                raise AirflowSkipException("External job has failed skipping.")
            raise ExternalTaskNotFoundError(
                "Error occurred while trying to retrieve task status. Please, check the name of executed task and Dag."
            )

    def _what(self) -> str:
        if self.external_task_ids:
            return f"external tasks {self.external_task_ids} in DAG {self.external_dag_id}"
        if self.external_task_group_id:
            return f"external task group {self.external_task_group_id} in DAG {self.external_dag_id}"
        return f"external DAG {self.external_dag_id}"

    def poke(self, context: Any) -> bool:
        # Airflow's rule: the count is, per run, the share of the watched tasks in the states (or the number of
        # runs, watching a whole DAG); any failed or skipped share ends the wait, all runs allowed satisfy it.
        ti = context["ti"]
        dates = self._dates(context)
        self.log.info("Poking for %s on %s ... ", self._what(), ", ".join(d.isoformat() for d in dates))

        def count(states: list[str]) -> float:
            found = ti.count_external_states(
                self.external_dag_id, self.external_task_ids, self.external_task_group_id, dates, states
            )
            return float(found)

        if self.failed_states and count(self.failed_states) > 0:
            raise AirflowException(f"The {self._what()} failed.")
        if self.skipped_states and count(self.skipped_states) > 0:
            from riir_airflow.exceptions import AirflowSkipException

            raise AirflowSkipException(f"The {self._what()} reached a skipped state {self.skipped_states}.")
        return count(self.allowed_states) == len(dates)


class ExternalTaskMarker(EmptyOperator):
    """Marks a task as depended on by another DAG's ExternalTaskSensor (used when clearing)."""

    operator_extra_links = [ExternalDagLink()]

    template_fields: Sequence[str] = ("external_dag_id", "external_task_id", "logical_date")
    ui_color = "#4db7db"
    # Serialized with the task (as Airflow does), so that clearing the marker can follow it without the DAG's code.
    serialized_extra_fields: ClassVar[tuple[str, ...]] = (
        "external_dag_id", "external_task_id", "logical_date", "recursion_depth",
    )  # fmt: skip

    def __init__(
        self,
        *,
        external_dag_id: str,
        external_task_id: str,
        logical_date: str | dt.datetime | None = "{{ logical_date.isoformat() }}",
        recursion_depth: int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.logical_date = logical_date
        if recursion_depth <= 0:
            raise ValueError("recursion_depth should be a positive integer")
        self.recursion_depth = recursion_depth
