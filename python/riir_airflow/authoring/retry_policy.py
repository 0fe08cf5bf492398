"""Retry policies (Airflow 3.3 `retry_policy=`): decide, from the exception a try raised, whether to retry.

`evaluate()` runs in the task process with the real exception; the outcome is a `RetryDecision`. A policy can fail
a task early or change the delay, never grant more tries than `retries`.
"""

from __future__ import annotations

import abc
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import Any

from riir_airflow.authoring.module_loading import import_string

log = logging.getLogger(__name__)


class RetryAction(Enum):
    RETRY = "retry"
    FAIL = "fail"
    DEFAULT = "default"


@dataclass(frozen=True)
class RetryDecision:
    action: RetryAction = RetryAction.DEFAULT
    retry_delay: timedelta | None = None
    reason: str | None = None

    @classmethod
    def fail(cls, reason: str | None = None) -> RetryDecision:
        return cls(action=RetryAction.FAIL, reason=reason)

    @classmethod
    def retry(cls, delay: timedelta | None = None, reason: str | None = None) -> RetryDecision:
        return cls(action=RetryAction.RETRY, retry_delay=delay, reason=reason)

    @classmethod
    def default(cls) -> RetryDecision:
        return cls(action=RetryAction.DEFAULT)


class RetryPolicy(abc.ABC):
    """Base of custom policies. AirflowFailException and AirflowSensorTimeout never reach a policy."""

    @abc.abstractmethod
    def evaluate(
        self, exception: BaseException, try_number: int, max_tries: int, context: Any = None
    ) -> RetryDecision: ...

    def serialize(self) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement serialize()")

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> RetryPolicy:
        raise NotImplementedError


ExceptionSpec = type[BaseException] | str


def _path(spec: ExceptionSpec) -> str:
    return spec if isinstance(spec, str) else f"{spec.__module__}.{spec.__qualname__}"


@dataclass
class RetryRule:
    """Maps one exception (class, dotted path, or a list of them) to an action, delay and reason."""

    exception: ExceptionSpec | list[ExceptionSpec]
    action: RetryAction = RetryAction.RETRY
    retry_delay: timedelta | None = None
    reason: str | None = None
    match_subclasses: bool = True
    _resolved: list[type[BaseException]] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for spec in self._specs:
            if isinstance(spec, str):
                if not spec or "." not in spec:
                    raise ValueError(
                        f"RetryRule exception string must be a dotted import path (e.g. 'builtins.ValueError'), "
                        f"got {spec!r}"
                    )
                try:
                    import_string(spec)
                except ImportError:
                    # It may only be importable on the worker.
                    log.warning("RetryRule: exception class %r could not be imported at parse time", spec)

    @property
    def _specs(self) -> list[ExceptionSpec]:
        return self.exception if isinstance(self.exception, list) else [self.exception]

    @property
    def exception_path(self) -> str:
        return ",".join(_path(spec) for spec in self._specs)

    def _classes(self) -> list[type[BaseException]]:
        if self._resolved is None:
            resolved = []
            for spec in self._specs:
                if isinstance(spec, type):
                    resolved.append(spec)
                    continue
                try:
                    resolved.append(import_string(spec))
                except ImportError:
                    log.warning("Could not import exception class %r, it will not match", spec)
            self._resolved = resolved
        return self._resolved

    def matches(self, exc: BaseException) -> bool:
        classes = self._classes()
        if not classes:
            return False
        return isinstance(exc, tuple(classes)) if self.match_subclasses else type(exc) in classes

    def serialize(self) -> dict[str, Any]:
        paths = [_path(spec) for spec in self._specs]
        data: dict[str, Any] = {
            "exception": paths if len(paths) > 1 else paths[0],
            "action": self.action.value,
            "match_subclasses": self.match_subclasses,
        }
        if self.retry_delay is not None:
            data["retry_delay"] = self.retry_delay.total_seconds()
        if self.reason is not None:
            data["reason"] = self.reason
        return data

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> RetryRule:
        delay = data.get("retry_delay")
        return cls(
            exception=data["exception"],
            action=RetryAction(data["action"]),
            retry_delay=timedelta(seconds=delay) if delay is not None else None,
            reason=data.get("reason"),
            match_subclasses=data.get("match_subclasses", True),
        )


class ExceptionRetryPolicy(RetryPolicy):
    """The first rule whose exception matches decides; otherwise `default`."""

    def __init__(self, rules: list[RetryRule], default: RetryAction = RetryAction.DEFAULT) -> None:
        self.rules = rules
        self.default = default

    def evaluate(self, exception: BaseException, try_number: int, max_tries: int, context: Any = None) -> RetryDecision:
        for rule in self.rules:
            if rule.matches(exception):
                reason = rule.reason or f"Matched rule for {type(exception).__name__}"
                return RetryDecision(action=rule.action, retry_delay=rule.retry_delay, reason=reason)
        return RetryDecision(action=self.default)

    def serialize(self) -> dict[str, Any]:
        return {"__type": "ExceptionRetryPolicy", "rules": [r.serialize() for r in self.rules],
                "default": self.default.value}  # fmt: skip

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> ExceptionRetryPolicy:
        return cls(rules=[RetryRule.deserialize(r) for r in data["rules"]],
                   default=RetryAction(data.get("default", "default")))  # fmt: skip
