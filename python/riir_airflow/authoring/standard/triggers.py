"""The standard provider's triggers: wait for a moment (`DateTimeTrigger`, `TimeDeltaTrigger`) or a file (`FileTrigger`,
`FileDeleteTrigger`, `DirectoryFileDeleteTrigger`)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Callable
from glob import glob
from typing import Any

import pendulum

from riir_airflow.authoring.triggers import (
    BaseEventTrigger,
    BaseTrigger,
    TaskSuccessEvent,
    TriggerEvent,
    trigger_other_dags,
)
from riir_airflow.schedules import timezone

_TEMPORAL = "riir_airflow.providers.standard.triggers.temporal"
_FILE = "riir_airflow.providers.standard.triggers.file"
log = logging.getLogger(__name__)


# asyncio is imported when a trigger runs (in the triggerer's loop), not when DAG files define or create triggers.
async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def _in_thread(function: Callable[..., Any], *args: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(function, *args)


class DateTimeTrigger(BaseTrigger):
    """Fires once at `moment` (aware), or at `target_time` (a string, possibly rendered from a template)."""

    def __init__(
        self,
        moment: dt.datetime | None = None,
        *,
        target_time: dt.datetime | str | None = None,
        end_from_trigger: bool = False,
    ) -> None:
        super().__init__()
        if (moment is None) == (target_time is None):
            raise TypeError("DateTimeTrigger requires exactly one of 'moment' or 'target_time'")
        self.target_time = target_time
        self._moment: pendulum.DateTime | None = None
        if moment is not None:
            if not isinstance(moment, dt.datetime):
                raise TypeError(f"Expected datetime.datetime type for moment. Got {type(moment)}")
            if moment.tzinfo is None:
                raise ValueError("You cannot pass naive datetimes")
            self._moment = timezone.convert_to_utc(moment)
        self.end_from_trigger = end_from_trigger

    @property
    def moment(self) -> pendulum.DateTime:
        if self._moment is None:
            # Parsed on first use: by then a templated target_time has been rendered.
            target: Any = self.target_time
            if isinstance(target, dt.datetime):
                target = target.isoformat()
            if not isinstance(target, str) or not target:
                raise TypeError("DateTimeTrigger has neither a 'moment' nor a usable 'target_time'")
            self._moment = timezone.convert_to_utc(timezone.parse(target))
        assert self._moment is not None
        return self._moment

    def serialize(self) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = {"target_time": self.target_time} if self._moment is None else {"moment": self._moment}
        kwargs["end_from_trigger"] = self.end_from_trigger
        return f"{_TEMPORAL}.DateTimeTrigger", kwargs

    def _remaining(self) -> float:
        return (self.moment - pendulum.now("UTC")).total_seconds()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # Sleep in shrinking steps rather than once, so a clock change cannot make us oversleep by much.
        for step in (3600, 60, 10):
            while self._remaining() > 2 * step:
                await _sleep(step)
        while (remaining := self._remaining()) > 0:
            await _sleep(min(1.0, remaining))
        if self.end_from_trigger:
            yield TaskSuccessEvent()
        else:
            yield TriggerEvent(self.moment)


class TimeDeltaTrigger(DateTimeTrigger):
    """Fires once `delta` after it is created; serializes as the `DateTimeTrigger` of that moment."""

    def __init__(self, delta: dt.timedelta, *, end_from_trigger: bool = False) -> None:
        super().__init__(moment=timezone.utcnow() + delta, end_from_trigger=end_from_trigger)


class FileTrigger(BaseTrigger):
    """Fires once a file matching `filepath` (a glob) exists, or a matched folder contains a file."""

    def __init__(self, filepath: str, recursive: bool = False, poke_interval: float = 5.0, **kwargs: Any) -> None:
        super().__init__()
        self.filepath = filepath
        self.recursive = recursive
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{_FILE}.FileTrigger", {
            "filepath": self.filepath,
            "recursive": self.recursive,
            "poke_interval": self.poke_interval,
        }

    def _found(self) -> bool:
        for path in glob(self.filepath, recursive=self.recursive):
            if os.path.isfile(path):
                return True
            if any(files for _, _, files in os.walk(path)):
                return True
        return False

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            if await _in_thread(self._found):
                yield TriggerEvent(True)
                return
            await _sleep(self.poke_interval)


class FileDeleteTrigger(BaseEventTrigger):
    """Fires once `filepath` exists, after deleting it (for event-driven scheduling)."""

    def __init__(self, filepath: str, poke_interval: float = 5.0, **kwargs: Any) -> None:
        super().__init__()
        self.filepath = filepath
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{_FILE}.FileDeleteTrigger", {"filepath": self.filepath, "poke_interval": self.poke_interval}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            if os.path.isfile(self.filepath):
                os.unlink(self.filepath)
                yield TriggerEvent(True)
                return
            await _sleep(self.poke_interval)


class DirectoryFileDeleteTrigger(BaseEventTrigger):
    """Fires once `filename` appears in `directory`, after deleting it.

    Triggers on the same directory and `poke_interval` declare one shared scan (`shared_stream_key`); run on their
    own (`run`), each scans the directory itself. A missing directory counts as empty; a directory that cannot be
    listed for good (permissions, not a directory) fails the trigger instead of retrying for ever.
    """

    def __init__(self, *, directory: str, filename: str, poke_interval: float = 5.0) -> None:
        super().__init__()
        self.directory = directory
        self.filename = filename
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{_FILE}.DirectoryFileDeleteTrigger", {
            "directory": self.directory,
            "filename": self.filename,
            "poke_interval": self.poke_interval,
        }

    def shared_stream_key(self) -> Any:
        """All triggers on the same directory (resolved) and cadence share one scan."""
        return ("directory-scan", os.path.realpath(self.directory), self.poke_interval)

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """One directory-listing loop; each snapshot is {"directory", "names"}."""
        directory: str = kwargs["directory"]
        poke_interval: float = kwargs["poke_interval"]
        while True:
            try:
                names = set(await _in_thread(os.listdir, directory))
            except FileNotFoundError:
                names = set()
            except (PermissionError, NotADirectoryError, IsADirectoryError):
                raise
            except OSError:
                log.warning("Failed to list %s; retrying after %ss", directory, poke_interval, exc_info=True)
                await _sleep(poke_interval)
                continue
            yield {"directory": directory, "names": names}
            await _sleep(poke_interval)

    async def filter_shared_stream(self, shared_stream: AsyncIterator[dict[str, Any]]) -> AsyncIterator[TriggerEvent]:
        """Fires once for this trigger's own file, deleting it first (a sibling that won the race: keep waiting)."""
        async for snapshot in shared_stream:
            if self.filename not in snapshot["names"]:
                continue
            filepath = os.path.join(snapshot["directory"], self.filename)
            try:
                await _in_thread(os.unlink, filepath)
            except FileNotFoundError:
                continue
            self.log.info("File %s has been deleted", filepath)
            yield TriggerEvent({"filepath": filepath})
            return

    async def run(self) -> AsyncIterator[TriggerEvent]:
        async for event in self.filter_shared_stream(type(self).open_shared_stream(self.serialize()[1])):
            yield event


_EXTERNAL = "riir_airflow.providers.standard.triggers.external_task"


def _datetime(value: Any) -> dt.datetime:
    parsed = pendulum.instance(value) if isinstance(value, dt.datetime) else pendulum.parse(str(value))
    if not isinstance(parsed, dt.datetime):
        raise ValueError(f"{value!r} is not a date and time")
    return parsed


class WorkflowTrigger(BaseTrigger):
    """Waits for tasks, a task group or whole runs of another DAG (ExternalTaskSensor with deferrable=True):
    fires {"status": "failed" | "skipped" | "success"} by Airflow's count (see ExternalTaskSensor.poke)."""

    def __init__(
        self,
        external_dag_id: str,
        run_ids: list[str] | None = None,
        execution_dates: list[Any] | None = None,
        logical_dates: list[Any] | None = None,
        external_task_ids: Any = None,
        external_task_group_id: str | None = None,
        failed_states: Any = None,
        skipped_states: Any = None,
        allowed_states: Any = None,
        poke_interval: float = 2.0,
        soft_fail: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if run_ids and not logical_dates:
            raise ValueError("WorkflowTrigger in riir-airflow watches runs by logical_dates, not run_ids")
        self.external_dag_id = external_dag_id
        self.external_task_ids = list(external_task_ids) if external_task_ids else None
        self.external_task_group_id = external_task_group_id
        self.failed_states = list(failed_states or [])
        self.skipped_states = list(skipped_states or [])
        self.allowed_states = list(allowed_states or ["success"])
        self.run_ids = run_ids
        self.logical_dates = [_datetime(d) for d in logical_dates or execution_dates or []]
        self.poke_interval = poke_interval
        self.soft_fail = soft_fail

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{_EXTERNAL}.WorkflowTrigger", {
            "external_dag_id": self.external_dag_id,
            "external_task_ids": self.external_task_ids,
            "external_task_group_id": self.external_task_group_id,
            "failed_states": self.failed_states,
            "skipped_states": self.skipped_states,
            "allowed_states": self.allowed_states,
            "poke_interval": self.poke_interval,
            "soft_fail": self.soft_fail,
            "run_ids": self.run_ids,
            "logical_dates": [d.isoformat() for d in self.logical_dates],
        }

    async def _count(self, states: list[str]) -> float:
        other = trigger_other_dags()
        found = await other.count_external(
            self.external_dag_id, self.logical_dates, states, self.external_task_ids, self.external_task_group_id
        )
        return float(found)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            if self.failed_states and await self._count(self.failed_states) > 0:
                yield TriggerEvent({"status": "failed"})
                return
            if self.skipped_states and await self._count(self.skipped_states) > 0:
                yield TriggerEvent({"status": "skipped"})
                return
            if await self._count(self.allowed_states) == len(self.logical_dates):
                yield TriggerEvent({"status": "success"})
                return
            self.log.info("Sleeping for %s seconds", self.poke_interval)
            await _sleep(self.poke_interval)


class DagStateTrigger(BaseTrigger):
    """Waits until runs of another DAG are in `states` (TriggerDagRunOperator with wait_for_completion and
    deferrable=True); fires (classpath, {..., run_id: state}) as Airflow 3 does."""

    def __init__(
        self,
        dag_id: str,
        states: list[str],
        run_ids: list[str] | None = None,
        execution_dates: list[Any] | None = None,
        poll_interval: float = 5.0,
    ) -> None:
        super().__init__()
        if not run_ids:
            raise ValueError("DagStateTrigger in riir-airflow watches runs by run_ids")
        self.dag_id = dag_id
        self.states = [str(s) for s in states]
        self.run_ids = list(run_ids)
        self.execution_dates = execution_dates
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{_EXTERNAL}.DagStateTrigger", {
            "dag_id": self.dag_id,
            "states": self.states,
            "run_ids": self.run_ids,
            "execution_dates": self.execution_dates,
            "poll_interval": self.poll_interval,
        }

    async def run(self) -> AsyncIterator[TriggerEvent]:
        other = trigger_other_dags()
        cls_path, data = self.serialize()
        while True:
            states = {run_id: await other.dag_run_state(self.dag_id, run_id) for run_id in self.run_ids}
            if all(state in self.states for state in states.values()):
                yield TriggerEvent((cls_path, {**data, **states}))
                return
            await _sleep(self.poll_interval)
