"""Time-zone helpers DAG authors import from `airflow.utils.timezone` (Airflow 3 keeps them in the task SDK).

Naive datetimes are read in `[core] default_timezone`; everything returned is aware (pendulum where Airflow returns
pendulum).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from pendulum import DateTime

from riir_airflow import core_settings as settings

utc = pendulum.UTC


def is_localized(value: dt.datetime) -> bool:
    return value.utcoffset() is not None


def is_naive(value: dt.datetime) -> bool:
    return value.utcoffset() is None


def utcnow() -> dt.datetime:
    """Now, aware, in UTC."""
    return dt.datetime.now(tz=utc)


def convert_to_utc(value: dt.datetime | None) -> DateTime | None:
    """The same instant in UTC; a naive value is first read in the default time zone."""
    if value is None:
        return None
    if not is_localized(value):
        value = pendulum.instance(value, settings.default_timezone())
    return pendulum.instance(value.astimezone(utc))


def make_aware(value: dt.datetime | None, timezone: Any = None) -> dt.datetime | None:
    """Attaches `timezone` (default: the default time zone) to a naive datetime."""
    if timezone is None:
        timezone = settings.default_timezone()
    if not value:
        return None
    if is_localized(value):
        raise ValueError(f"make_aware expects a naive datetime, got {value}")
    # fold=1: a repeated wall-clock time (clocks going back) means its second occurrence, as in Airflow.
    value = value.replace(fold=1)
    convert = getattr(timezone, "convert", None)
    if convert is not None:
        result: dt.datetime = convert(value)
        return result
    return value.replace(tzinfo=timezone)


def make_naive(value: dt.datetime, timezone: Any = None) -> dt.datetime:
    """The wall-clock time of an aware datetime in `timezone` (default: the default time zone), without tzinfo."""
    if timezone is None:
        timezone = settings.default_timezone()
    if is_naive(value):
        raise ValueError("make_naive() cannot be applied to a naive datetime")
    local = value.astimezone(timezone)
    return dt.datetime(local.year, local.month, local.day, local.hour, local.minute, local.second, local.microsecond)


def datetime(*args: Any, **kwargs: Any) -> dt.datetime:
    """`datetime.datetime(...)` in the default time zone unless `tzinfo` is given."""
    kwargs.setdefault("tzinfo", settings.default_timezone())
    return dt.datetime(*args, **kwargs)


def parse(string: str, timezone: Any = None, *, strict: bool = False) -> DateTime:
    """Parses a date/time string into an aware pendulum DateTime (naive strings are in the default time zone)."""
    result = pendulum.parse(string, tz=timezone or settings.default_timezone(), strict=strict)
    if not isinstance(result, DateTime):
        raise ValueError(f"{string!r} is not a date and time")
    return result


def coerce_datetime(value: dt.datetime | None, tz: Any = None) -> DateTime | None:
    """An aware pendulum DateTime; an aware input keeps its own zone (`tz` only applies to naive input)."""
    if value is None:
        return None
    if value.tzinfo is None:
        aware = make_aware(value, tz)
        assert aware is not None
        value = aware
    return value if isinstance(value, DateTime) else pendulum.instance(value)


def parse_timezone(name: str | int) -> Any:
    return pendulum.timezone(name)


def from_timestamp(timestamp: float, tz: Any = utc) -> DateTime:
    """A Unix timestamp (seconds) as a DateTime in `tz` (a zone, an IANA name, or "local")."""
    result = pendulum.instance(dt.datetime.fromtimestamp(timestamp, tz=utc))
    if isinstance(tz, str) and tz.lower() == "local":
        tz = pendulum.local_timezone()  # type: ignore[operator,unused-ignore]
    return result.in_timezone(tz)
