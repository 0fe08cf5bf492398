"""Deadline alerts (Airflow 3.1+): `DAG(deadline=DeadlineAlert(reference, interval, callback))`.

Declarative: these classes describe a deadline and serialize it; evaluating deadlines against DAG runs and firing
the callbacks is the scheduler's job.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from riir_airflow.authoring.module_loading import import_string

log = logging.getLogger(__name__)

REFERENCE_TYPE_FIELD = "reference_type"


class Callback:
    """A callable (or its dotted path) plus keyword arguments, run with the context when a deadline is missed."""

    def __init__(self, callback_callable: Callable[..., Any] | str, kwargs: dict[str, Any] | None = None) -> None:
        self.path = self.get_callback_path(callback_callable)
        if kwargs and "context" in kwargs:
            raise ValueError("context is a reserved kwarg for this class")
        self.kwargs = kwargs or {}

    @classmethod
    def get_callback_path(cls, callback: Callable[..., Any] | str) -> str:
        if callable(callback):
            cls.verify_callable(callback)
            return f"{callback.__module__}.{callback.__qualname__}"
        if not isinstance(callback, str) or "." not in callback.strip():
            raise ImportError(f"`{callback}` doesn't look like a valid dot path.")
        path = callback.strip()
        try:
            target = import_string(path)
        except ImportError:
            # It may only be importable where the callback runs.
            log.debug("Callback %s could not be imported here", path)
            return path
        if not callable(target):
            raise AttributeError(f"Provided callback {target} is not callable.")
        cls.verify_callable(target)
        return path

    @classmethod
    def verify_callable(cls, callback: Callable[..., Any]) -> None:
        """Subclasses check the kind of callable they accept."""

    @classmethod
    def serialized_fields(cls) -> tuple[str, ...]:
        return ("path", "kwargs")

    def serialize(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.serialized_fields()}

    @classmethod
    def deserialize(cls, data: dict[str, Any], version: int = 1) -> Callback:
        data = dict(data)
        return cls(data.pop("path"), **data)

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        assert isinstance(other, Callback)
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, repr(v)) for k, v in self.serialize().items())))


class AsyncCallback(Callback):
    """Runs in the triggerer: the callable must be awaitable."""

    @classmethod
    def verify_callable(cls, callback: Callable[..., Any]) -> None:
        if not (inspect.iscoroutinefunction(callback) or hasattr(callback, "__await__")):
            raise AttributeError(f"Provided callback {callback} is not awaitable.")


class SyncCallback(Callback):
    """Runs in an executor (`executor=None`: the default one)."""

    def __init__(
        self, callback_callable: Callable[..., Any] | str, kwargs: dict[str, Any] | None = None,
        executor: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(callback_callable, kwargs)
        self.executor = executor

    @classmethod
    def serialized_fields(cls) -> tuple[str, ...]:
        return (*super().serialized_fields(), "executor")


class BaseDeadlineReference:
    """The moment a deadline's interval counts from. Custom references subclass this."""

    @property
    def reference_name(self) -> str:
        return type(self).__name__

    def serialize_reference(self) -> dict[str, Any]:
        return {REFERENCE_TYPE_FIELD: self.reference_name}

    @classmethod
    def deserialize_reference(cls, reference_data: dict[str, Any]) -> BaseDeadlineReference:
        return cls()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseDeadlineReference):
            return NotImplemented
        return self.serialize_reference() == other.serialize_reference()

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, repr(v)) for k, v in self.serialize_reference().items())))


class DagRunLogicalDateDeadline(BaseDeadlineReference):
    """Counts from the run's logical date."""


class DagRunQueuedAtDeadline(BaseDeadlineReference):
    """Counts from when the run was queued."""


@dataclass(eq=False)
class FixedDatetimeDeadline(BaseDeadlineReference):
    _datetime: datetime

    def serialize_reference(self) -> dict[str, Any]:
        return {REFERENCE_TYPE_FIELD: self.reference_name, "datetime": self._datetime.timestamp()}

    @classmethod
    def deserialize_reference(cls, reference_data: dict[str, Any]) -> FixedDatetimeDeadline:
        from riir_airflow.schedules.timezone import from_timestamp

        return cls(from_timestamp(reference_data["datetime"]))


@dataclass(eq=False)
class AverageRuntimeDeadline(BaseDeadlineReference):
    """Counts from the average runtime of the last `max_runs` runs (needs at least `min_runs`)."""

    DEFAULT_LIMIT = 10
    max_runs: int
    min_runs: int | None = None

    def __post_init__(self) -> None:
        if self.min_runs is None:
            self.min_runs = self.max_runs
        if self.min_runs < 1:
            raise ValueError("min_runs must be at least 1")

    def serialize_reference(self) -> dict[str, Any]:
        return {REFERENCE_TYPE_FIELD: self.reference_name, "max_runs": self.max_runs, "min_runs": self.min_runs}

    @classmethod
    def deserialize_reference(cls, reference_data: dict[str, Any]) -> AverageRuntimeDeadline:
        max_runs = reference_data.get("max_runs", cls.DEFAULT_LIMIT)
        return cls(max_runs=max_runs, min_runs=reference_data.get("min_runs", max_runs))


class DeadlineReference:
    """The references a `DeadlineAlert` can use: `DAGRUN_LOGICAL_DATE`, `DAGRUN_QUEUED_AT`, `FIXED_DATETIME(dt)`,
    `AVERAGE_RUNTIME(max_runs, min_runs)`, and custom ones registered with `@deadline_reference`."""

    class TYPES:
        DAGRUN_CREATED: tuple[type[BaseDeadlineReference], ...] = (
            DagRunLogicalDateDeadline, FixedDatetimeDeadline, AverageRuntimeDeadline,
        )  # fmt: skip
        DAGRUN_QUEUED: tuple[type[BaseDeadlineReference], ...] = (DagRunQueuedAtDeadline,)
        DAGRUN: tuple[type[BaseDeadlineReference], ...] = DAGRUN_CREATED + DAGRUN_QUEUED

    DAGRUN_LOGICAL_DATE: BaseDeadlineReference = DagRunLogicalDateDeadline()
    DAGRUN_QUEUED_AT: BaseDeadlineReference = DagRunQueuedAtDeadline()

    @classmethod
    def AVERAGE_RUNTIME(cls, max_runs: int = 0, min_runs: int | None = None) -> BaseDeadlineReference:
        max_runs = max_runs or AverageRuntimeDeadline.DEFAULT_LIMIT
        return AverageRuntimeDeadline(max_runs, max_runs if min_runs is None else min_runs)

    @classmethod
    def FIXED_DATETIME(cls, dt: datetime) -> BaseDeadlineReference:
        return FixedDatetimeDeadline(dt)

    @classmethod
    def register_custom_reference(
        cls,
        reference_class: type[BaseDeadlineReference],
        deadline_reference_type: tuple[type[BaseDeadlineReference], ...] | None = None,
    ) -> type[BaseDeadlineReference]:
        if deadline_reference_type is None:
            deadline_reference_type = cls.TYPES.DAGRUN_CREATED
        if not (isinstance(reference_class, type) and issubclass(reference_class, BaseDeadlineReference)):
            raise ValueError(f"{reference_class.__name__} must inherit from BaseDeadlineReference")
        try:
            instance = reference_class()
        except TypeError as exc:
            raise TypeError(
                f"{reference_class.__name__} must be constructible with no arguments in order to be registered as "
                f"a deadline reference. If it takes parameters, decorate it with @dataclass and give every field a "
                f"default value. Original error: {exc}"
            ) from exc
        setattr(cls, reference_class.__name__, instance)
        if deadline_reference_type is cls.TYPES.DAGRUN_CREATED:
            cls.TYPES.DAGRUN_CREATED = (*cls.TYPES.DAGRUN_CREATED, reference_class)
        elif deadline_reference_type is cls.TYPES.DAGRUN_QUEUED:
            cls.TYPES.DAGRUN_QUEUED = (*cls.TYPES.DAGRUN_QUEUED, reference_class)
        else:
            raise ValueError(
                f"Invalid deadline reference type {deadline_reference_type}; "
                "must be a valid DeadlineReference.TYPES option."
            )
        cls.TYPES.DAGRUN = cls.TYPES.DAGRUN_CREATED + cls.TYPES.DAGRUN_QUEUED
        return reference_class


def deadline_reference(deadline_reference_type: Any = None) -> Any:
    """Registers a custom reference: `@deadline_reference` or `@deadline_reference(DeadlineReference.TYPES.X)`."""
    if isinstance(deadline_reference_type, type):
        return DeadlineReference.register_custom_reference(deadline_reference_type)

    def decorator(reference_class: type[BaseDeadlineReference]) -> type[BaseDeadlineReference]:
        return DeadlineReference.register_custom_reference(reference_class, deadline_reference_type)

    return decorator


@dataclass(frozen=True)
class VariableInterval:
    """An interval read from the Variable `key` (seconds) when the deadline is evaluated."""

    key: str


class DeadlineAlert:
    """Fire `callback` when a DAG run is not done `interval` after `reference`."""

    def __init__(
        self,
        reference: BaseDeadlineReference,
        interval: timedelta | VariableInterval,
        callback: Callback,
        name: str | None = None,
    ) -> None:
        self.reference = reference
        self.interval = interval
        self.name = name
        if not isinstance(callback, AsyncCallback | SyncCallback):
            raise ValueError(f"Callbacks of type {type(callback).__name__} are not currently supported")
        self.callback = callback

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeadlineAlert):
            return NotImplemented
        return (
            isinstance(self.reference, type(other.reference))
            and self.interval == other.interval
            and self.callback == other.callback
        )

    def __hash__(self) -> int:
        return hash((type(self.reference).__name__, self.interval, self.callback))
