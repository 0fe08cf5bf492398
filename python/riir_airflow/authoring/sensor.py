"""BaseSensorOperator: pokes until a condition holds, in poke or reschedule mode, with timeouts and backoff."""

from __future__ import annotations

import hashlib
import time
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pendulum

from riir_airflow.authoring.baseoperator import BaseOperator
from riir_airflow.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
)

DEFAULT_SENSOR_TIMEOUT = 60 * 60 * 24 * 7  # [sensors] default_timeout


class PokeReturnValue:
    """What `poke` may return: done or not, plus an XCom value to push when done."""

    def __init__(self, is_done: bool, xcom_value: Any | None = None) -> None:
        self.xcom_value = xcom_value
        self.is_done = is_done

    def __bool__(self) -> bool:
        return self.is_done


def _seconds(name: str, value: float | timedelta | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and value >= 0:
        return timedelta(seconds=value)
    raise ValueError(f"Operator arg `{name}` must be timedelta object or a non-negative number")


class BaseSensorOperator(BaseOperator):
    """Subclasses implement `poke(context)`; `execute` calls it until it returns a truthy value or times out."""

    ui_color = "#e6f1f2"
    valid_modes = ["poke", "reschedule"]

    def __init__(
        self,
        *,
        poke_interval: timedelta | float = 60,
        timeout: timedelta | float | None = None,
        soft_fail: bool = False,
        mode: str = "poke",
        exponential_backoff: bool = False,
        max_wait: timedelta | float | None = None,
        silent_fail: bool = False,
        never_fail: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.poke_interval = _seconds("poke_interval", poke_interval).total_seconds()  # type: ignore[union-attr]
        self.soft_fail = soft_fail
        if timeout is None:
            from riir_airflow import core_settings as settings

            timeout = float(settings._get("sensors", "default_timeout", str(DEFAULT_SENSOR_TIMEOUT)))
        self.timeout: float = _seconds("timeout", timeout).total_seconds()  # type: ignore[union-attr]
        self.mode = mode
        self.exponential_backoff = exponential_backoff
        self.max_wait = _seconds("max_wait", max_wait)
        if soft_fail and never_fail:
            raise ValueError("soft_fail and never_fail are mutually exclusive, you can not provide both.")
        self.silent_fail = silent_fail
        self.never_fail = never_fail
        if self.mode not in self.valid_modes:
            raise ValueError(
                f"The mode must be one of {self.valid_modes},'{self.dag.dag_id if self.has_dag() else ''} "  # type: ignore[union-attr]
                f".{self.task_id}'; received '{self.mode}'."
            )

    @property
    def reschedule(self) -> bool:
        return self.mode == "reschedule"

    def poke(self, context: Any) -> bool | PokeReturnValue:
        raise AirflowException("Override me.")

    def execute(self, context: Any) -> Any:
        started_at: Any
        if self.reschedule:
            first = context["ti"].get_first_reschedule_date(context)
            started_at = start = first or pendulum.now("UTC")

            def run_duration() -> float:
                return float((pendulum.now("UTC") - start).total_seconds())

        else:
            started_at = start_mono = time.monotonic()

            def run_duration() -> float:
                return time.monotonic() - start_mono

        poke_count = 1
        xcom_value = None
        while True:
            try:
                result = self.poke(context)
            except (AirflowSensorTimeout, AirflowTaskTimeout, AirflowFailException) as exc:
                if self.soft_fail:
                    raise AirflowSkipException("Skipping due to soft_fail is set to True.") from exc
                if self.never_fail:
                    raise AirflowSkipException("Skipping due to never_fail is set to True.") from exc
                raise
            except AirflowSkipException:
                raise
            except Exception as exc:
                if self.silent_fail:
                    self.log.error("Sensor poke failed: \n %s", traceback.format_exc())
                    result = False
                elif self.never_fail:
                    raise AirflowSkipException("Skipping due to never_fail is set to True.") from exc
                else:
                    raise
            if result:
                if isinstance(result, PokeReturnValue):
                    xcom_value = result.xcom_value
                break
            if run_duration() > self.timeout:
                message = (
                    f"Sensor has timed out; run duration of {run_duration()} seconds exceeds "
                    f"the specified timeout of {self.timeout}."
                )
                if self.soft_fail:
                    raise AirflowSkipException(message)
                raise AirflowSensorTimeout(message)
            interval = self._get_next_poke_interval(started_at, run_duration, poke_count)
            if self.reschedule:
                raise AirflowRescheduleException(pendulum.now("UTC") + timedelta(seconds=interval))
            time.sleep(interval)
            poke_count += 1
        self.log.info("Success criteria met. Exiting.")
        return xcom_value

    def _get_next_poke_interval(self, started_at: Any, run_duration: Callable[[], float], poke_count: int) -> float:
        """Exponential backoff with a deterministic jitter (same formula as Airflow)."""
        if not self.exponential_backoff:
            return self.poke_interval

        def jittered(count: int) -> float:
            min_backoff = max(int(self.poke_interval * (2 ** (count - 2))), 1)
            seed = f"{self.dag_id}#{self.task_id}#{started_at}#{count}".encode()
            run_hash = int(hashlib.sha1(seed, usedforsecurity=False).hexdigest(), 16)
            return float(min(min_backoff + run_hash % min_backoff, timedelta.max.total_seconds() - 1))

        if self.reschedule:
            elapsed = run_duration()
            cumulative, estimated = 0.0, 0
            while cumulative <= elapsed:
                estimated += 1
                cumulative += jittered(estimated)
            poke_count = estimated or poke_count
        interval = min(self.timeout - int(run_duration()), jittered(poke_count))
        if self.max_wait:
            interval = min(self.max_wait.total_seconds(), interval)
        return interval


def poke_mode_only(cls: type[BaseSensorOperator]) -> type[BaseSensorOperator]:
    """Class decorator: the sensor may only run in poke mode."""

    def getter(_self: Any) -> str:
        return "poke"

    def setter(_self: Any, value: str) -> None:
        if value != "poke":
            raise ValueError(f"Cannot set mode to '{value}'. Only 'poke' is acceptable")

    if not issubclass(cls, BaseSensorOperator):
        raise ValueError(
            f"poke_mode_only decorator should only be applied to subclasses of BaseSensorOperator, got:{cls}."
        )
    cls.mode = property(getter, setter)  # type: ignore[assignment]
    return cls
