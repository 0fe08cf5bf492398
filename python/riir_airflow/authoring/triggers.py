"""Triggers: small async pieces of code the DAG app's triggerer runs while a task is deferred.

A trigger is built inside the task (`self.defer(trigger=..., method_name=...)`), serialized to
`(classpath, kwargs)`, re-created by the triggerer from that pair, and run there: `run()` is an async generator
that yields `TriggerEvent`s. The task resumes at `method_name` with the first event's payload, unless the event is
a task-end event (`TaskSuccessEvent`...) which finishes the task without resuming it.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from riir_airflow.authoring.templating import render_value, template_env_for
from riir_airflow.states import TaskInstanceState


@dataclass
class StartTriggerArgs:
    """What an operator needs to start directly in the triggerer (`start_from_trigger=True`)."""

    trigger_cls: str
    next_method: str
    trigger_kwargs: dict[str, Any] | None = None
    next_kwargs: dict[str, Any] | None = None
    timeout: timedelta | None = None


class TriggerEvent:
    """What a trigger fires; `payload` (JSON-serializable) is handed to the resumed task."""

    def __init__(self, payload: Any = None) -> None:
        self.payload = payload

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TriggerEvent):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self.payload)))

    def __repr__(self) -> str:
        return f"TriggerEvent<{self.payload!r}>"


class BaseTaskEndEvent(TriggerEvent):
    """An event that ends the task in `task_instance_state` without resuming it on a worker."""

    task_instance_state: TaskInstanceState = TaskInstanceState.SUCCESS

    def __init__(self, *, xcoms: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if "payload" in kwargs:
            raise ValueError("Param 'payload' not supported for this class.")
        state = kwargs.pop("task_instance_state", type(self).task_instance_state)
        super().__init__(payload=str(state.value if isinstance(state, TaskInstanceState) else state))
        self.task_instance_state = TaskInstanceState(state)
        self.xcoms = xcoms


class TaskSuccessEvent(BaseTaskEndEvent):
    task_instance_state = TaskInstanceState.SUCCESS


class TaskFailedEvent(BaseTaskEndEvent):
    task_instance_state = TaskInstanceState.FAILED


class TaskSkippedEvent(BaseTaskEndEvent):
    task_instance_state = TaskInstanceState.SKIPPED


class BaseTrigger(abc.ABC):
    """Base class of every trigger. Subclasses implement `serialize()` and the async generator `run()`."""

    supports_triggerer_queue: bool = True

    def __init__(self, **kwargs: Any) -> None:
        # Set by the triggerer before running the instance.
        self._task_instance: Any = None
        self.trigger_id: int | None = None
        self.template_fields: tuple[str, ...] = ()
        self.template_ext: tuple[str, ...] = ()
        self.task_id: str | None = None

    @property
    def log(self) -> logging.Logger:
        return logging.getLogger(f"{type(self).__module__}.{type(self).__qualname__}")

    @property
    def task_instance(self) -> Any:
        return self._task_instance

    @task_instance.setter
    def task_instance(self, value: Any) -> None:
        self._task_instance = value
        if value is not None:
            self.task_id = value.task_id

    @property
    def task(self) -> Any:
        return getattr(self._task_instance, "task", None)

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Renders the attributes named in `template_fields` in place (used when a task starts from a trigger)."""
        env = jinja_env or template_env_for(getattr(self.task, "dag", None))
        for name in self.template_fields:
            setattr(self, name, render_value(getattr(self, name), context, env, template_ext=self.template_ext))

    @abc.abstractmethod
    def serialize(self) -> tuple[str, dict[str, Any]]:
        """The class path and keyword arguments that re-create this trigger elsewhere."""

    @abc.abstractmethod
    def run(self) -> AsyncIterator[TriggerEvent]:
        """Runs in the triggerer's event loop; yields events, returns when done (single-event: yield, return)."""

    async def cleanup(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Called on every exit (fired, timed out, triggerer shutdown): release local resources here."""

    async def on_kill(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Called only when a user kills the deferred task: cancel external work here."""

    @staticmethod
    def repr(classpath: str, kwargs: dict[str, Any]) -> str:
        return f"<{classpath} {', '.join(f'{k}={v}' for k, v in kwargs.items())}>"

    def __repr__(self) -> str:
        classpath, kwargs = self.serialize()
        return self.repr(classpath, kwargs)


class BaseEventTrigger(BaseTrigger):
    """A trigger usable in an `AssetWatcher` (event-driven scheduling)."""


def classpath_of(trigger_class: type) -> str:
    return f"{trigger_class.__module__}.{trigger_class.__qualname__}"


# --- other DAGs, for triggers that watch them (DagStateTrigger, WorkflowTrigger) ------------------------------------
# Triggers run on their DAG app's event loop; the app sets this to an object with the async methods
# `dag_run_state(dag_id, run_id)` and `count_external(dag_id, logical_dates, states, task_ids, group_id)`,
# answered from its metastore connection (through the same checked functions its task processes use).
_other_dags: Any = None


def set_trigger_other_dags(other_dags: Any) -> None:
    global _other_dags
    _other_dags = other_dags


def trigger_other_dags() -> Any:
    if _other_dags is None:
        raise RuntimeError(
            "This trigger watches other DAGs' runs, which only a DAG app can read (`riir-airflow app`); "
            "`dags test` runs one DAG alone"
        )
    return _other_dags
