"""What the broker and the CLI compute from a serialized timetable, without importing DAG or authoring code: the data
interval of a run triggered for a given date (Airflow's `timetable.infer_manual_data_interval`), and whether the
timetable is partitioned.

The serialized timetable (`{"__type": <Airflow class path>, "__var": {...}}`, under the DAG document's "schedule")
of the periodic built-in timetables maps onto the Rust core's `_core.Timetable`, which computes the interval.
`AssetOrTimeSchedule` asks the timetable it wraps. The other built-in ones (None, @once, @continuous, events, assets)
get Airflow's default, the exact interval (logical date, logical date). A custom timetable (a plugin's class) is
code only its DAG's app has: the broker leaves the interval empty and the app fills it in from
`infer_manual_data_interval` when it starts the run (app/scheduler.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from riir_airflow import _core
from riir_airflow.schedules.timetables import BUILTIN_TIMETABLES

_US = 1_000_000
# relativedelta's fields in the order the core reads them ("relative", [17 values]).
_RELATIVE_FIELDS = ("years", "months", "days", "hours", "minutes", "seconds", "microseconds", "leapdays", "year",
                    "month", "day", "hour", "minute", "second", "microsecond")  # fmt: skip
_TRIGGER = "airflow.timetables.trigger."
_INTERVAL = "airflow.timetables.interval."


def encoded_timetable(data: Any) -> Any:
    """`{"__type", "__var"}` of the serialized DAG's timetable (under "schedule", as serialize_dag writes it)."""
    schedule = data.get("schedule") if isinstance(data, dict) else None
    return schedule.get("timetable") if isinstance(schedule, dict) else None


def serialized_timetable_partitioned(data: Any) -> bool:
    """Whether the serialized DAG's timetable keys its runs by partition (Airflow's `timetable_partitioned`); a
    custom class, which only its app can import, counts as not partitioned."""
    encoded = encoded_timetable(data)
    cls = BUILTIN_TIMETABLES.get(str(encoded.get("__type", ""))) if isinstance(encoded, Mapping) else None
    return bool(getattr(cls, "partitioned", False))


def _zone(value: Any) -> str:
    """A serialized timezone (an IANA name, or a fixed offset in seconds) as the core's zone name."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        offset = int(value)
        if offset == 0:
            return "UTC"
        if offset % 3600:
            raise ValueError(f"fixed offset {offset}s is not supported; use an IANA time zone")
        return f"Etc/GMT{-offset // 3600:+d}"  # POSIX sign: Etc/GMT-2 is two hours ahead of UTC
    name = str(value)
    return "UTC" if name.lower() == "utc" else name


def _delta(value: Any) -> tuple[str, list[int | None]]:
    """A serialized interval (seconds, or relativedelta's non-zero fields) as the core's delta."""
    if isinstance(value, Mapping):
        fields: list[int | None] = [int(value.get(name, 0) or 0) for name in _RELATIVE_FIELDS[:8]]
        fields += [None if value.get(name) is None else int(value[name]) for name in _RELATIVE_FIELDS[8:]]
        weekday = value.get("weekday")
        fields += [None, None] if not weekday else [int(weekday[0]), int(weekday[1]) if len(weekday) > 1 else 0]
        return ("relative", fields)
    return ("fixed", [round(float(value or 0) * _US)])


def _run_immediately(value: Any) -> tuple[str, int]:
    if isinstance(value, bool):
        return ("bool", int(value))
    if value is None:
        return ("auto", 0)
    return ("delta", round(float(value) * _US))


def core_timetable(encoded: Any) -> _core.Timetable | None:
    """The Rust core's timetable for a serialized built-in periodic timetable; None for any other kind."""
    if not isinstance(encoded, Mapping):
        return None
    kind, var = str(encoded.get("__type", "")), encoded.get("__var") or {}
    if kind == _INTERVAL + "CronDataIntervalTimetable":
        return _core.Timetable.cron_data_interval(str(var["expression"]), _zone(var["timezone"]))
    if kind == _INTERVAL + "DeltaDataIntervalTimetable":
        return _core.Timetable.delta_data_interval(_delta(var["delta"]))
    if kind == _TRIGGER + "DeltaTriggerTimetable":
        return _core.Timetable.delta_trigger(_delta(var["delta"]), _delta(var.get("interval", 0)))
    if kind in (_TRIGGER + "CronTriggerTimetable", _TRIGGER + "MultipleCronTriggerTimetable",
                _TRIGGER + "CronPartitionTimetable"):  # fmt: skip
        expressions = var["expressions"] if "expressions" in var else [var["expression"]]
        return _core.Timetable.cron_trigger([str(e) for e in expressions], _zone(var["timezone"]),
                                            _delta(var.get("interval", 0)),
                                            _run_immediately(var.get("run_immediately", False)))  # fmt: skip
    return None


def manual_data_interval(
    encoded: Any, logical_date: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime] | None:
    """The data interval Airflow gives a run triggered with `logical_date` (`infer_manual_data_interval`); None for
    a custom timetable, whose app computes it."""
    if isinstance(encoded, Mapping) and encoded.get("__type") == "airflow.timetables.assets.AssetOrTimeSchedule":
        return manual_data_interval((encoded.get("__var") or {}).get("timetable"), logical_date)
    timetable = core_timetable(encoded)
    if timetable is None:
        if isinstance(encoded, Mapping) and encoded.get("__type") not in BUILTIN_TIMETABLES:
            return None
        return logical_date, logical_date
    start, end = timetable.infer_manual_data_interval(_to_us(logical_date))
    return _from_us(start), _from_us(end)


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _to_us(value: datetime.datetime) -> int:
    delta = value - _EPOCH  # (a pendulum Duration for pendulum values: plain fields only)
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def _from_us(value: int) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(microseconds=value)
