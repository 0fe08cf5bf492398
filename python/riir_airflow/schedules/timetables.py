"""Timetables with Airflow's names and semantics; the periodic ones are computed by the Rust core.

`create_timetable(schedule, timezone)` maps a DAG's `schedule=` value onto a timetable as Airflow 3.3 does.
Cron and delta timetables hand their whole `next_dagrun_info` computation to `riir_airflow._core.Timetable`
(epoch microseconds and IANA zone names cross the boundary); the trivial ones (None, @once, @continuous, events,
assets) are a few comparisons and stay in Python. Custom timetables subclass `Timetable` and work unchanged.

Results are pendulum datetimes in UTC, the way Airflow's scheduler sees them. "Now" is read through `utcnow()` so
tests (and the compat checker) can pin it.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Collection, Iterable, Sequence
from typing import Any, NamedTuple, TypeAlias

import pendulum
from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

from riir_airflow import _core, core_settings
from riir_airflow.exceptions import AirflowTimetableInvalid
from riir_airflow.schedules.presets import cron_presets

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_US = dt.timedelta(microseconds=1)

# Airflow's `airflow.utils.dates.cron_presets` (croniter resolves @midnight/@annually itself).
CRON_PRESETS = cron_presets

Delta: TypeAlias = dt.timedelta | relativedelta


def utcnow() -> pendulum.DateTime:
    """The current time; tests replace `_now_override` to pin it."""
    if _now_override is not None:
        return _now_override
    return pendulum.now("UTC")


_now_override: pendulum.DateTime | None = None


# --- conversions across the Rust boundary -------------------------------------------------------------------------
def to_us(value: dt.datetime) -> int:
    """Epoch microseconds of an aware datetime (a naive one is read as UTC, like Airflow's default zone)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    # Plain datetime arithmetic (pendulum's subtraction returns an Interval).
    plain = dt.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond)
    return (plain - _EPOCH_NAIVE) // _US


def from_us(value: int) -> pendulum.DateTime:
    """A UTC pendulum datetime from epoch microseconds."""
    return pendulum.instance(_EPOCH + dt.timedelta(microseconds=value))


def zone_name(timezone: Any) -> str:
    """IANA name for a pendulum/zoneinfo zone, a fixed offset of whole hours, or a name."""
    if isinstance(timezone, str):
        return "UTC" if timezone.lower() == "utc" else timezone
    if isinstance(timezone, pendulum.FixedTimezone):
        offset = timezone.offset
        if offset == 0:
            return "UTC"
        if offset % 3600 == 0:
            # POSIX sign: Etc/GMT-2 is two hours ahead of UTC.
            return f"Etc/GMT{-offset // 3600:+d}"
        raise AirflowTimetableInvalid(f"fixed offset {offset}s is not supported; use an IANA time zone")
    name = getattr(timezone, "name", None) or getattr(timezone, "key", None)
    if isinstance(name, str):
        return name
    if timezone in (dt.UTC,):
        return "UTC"
    raise AirflowTimetableInvalid(f"time zone {timezone!r} has no IANA name")


def _encode_delta(delta: Delta) -> tuple[str, list[int | None]]:
    if isinstance(delta, dt.timedelta):
        return ("fixed", [delta // _US])
    weekday = delta.weekday
    return (
        "relative",
        [
            delta.years,
            delta.months,
            delta.days,
            delta.hours,
            delta.minutes,
            delta.seconds,
            delta.microseconds,
            delta.leapdays,
            delta.year,
            delta.month,
            delta.day,
            delta.hour,
            delta.minute,
            delta.second,
            delta.microsecond,
            None if weekday is None else weekday.weekday,
            None if weekday is None else (weekday.n or 0),
        ],
    )


def _aware_us(value: dt.datetime | None) -> int | None:
    return None if value is None else to_us(value)


# --- Airflow's value types ----------------------------------------------------------------------------------------
class DataInterval(NamedTuple):
    """A data interval for a DAG run to operate over; both ends are aware."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def exact(cls, at: dt.datetime) -> DataInterval:
        """An interval holding only one instant."""
        return cls(start=at, end=at)


class TimeRestriction(NamedTuple):
    """When runs may happen: not before `earliest`, not after `latest` (both inclusive), missed runs if catchup."""

    earliest: dt.datetime | None
    latest: dt.datetime | None
    catchup: bool


class DagRunInfo(NamedTuple):
    """What a timetable says about the next run: when it may start and its data interval."""

    run_after: dt.datetime
    data_interval: DataInterval | None
    partition_date: dt.datetime | None = None
    partition_key: str | None = None

    @classmethod
    def exact(cls, at: dt.datetime) -> DagRunInfo:
        """A run at one instant."""
        return cls(run_after=at, data_interval=DataInterval.exact(at))

    @classmethod
    def interval(cls, start: dt.datetime, end: dt.datetime) -> DagRunInfo:
        """A run over `[start, end]`, scheduled when the interval ends."""
        return cls(run_after=end, data_interval=DataInterval(start, end))

    @property
    def logical_date(self) -> dt.datetime | None:
        """The run's logical date: its data interval start."""
        return self.data_interval.start if self.data_interval else None


# --- the base class -----------------------------------------------------------------------------------------------
class Timetable:
    """Base class of every timetable; subclass it (and override `next_dagrun_info`) for a custom schedule."""

    description: str = ""
    periodic: bool = True
    can_be_scheduled: bool = True
    run_ordering: Sequence[str] = ("data_interval_end", "logical_date")
    active_runs_limit: int | None = None
    asset_condition: Any = None
    partitioned: bool = False
    partitioned_at_runtime: bool = False

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        """Rebuild from `serialize()`'s output; the default takes no arguments."""
        return cls()

    def serialize(self) -> dict[str, Any]:
        """JSON-serializable arguments; the default is empty."""
        return {}

    def validate(self) -> None:
        """Raise AirflowTimetableInvalid when the arguments are invalid; the default accepts anything."""
        return None

    @property
    def summary(self) -> str:
        """Short text for the UI; the default is the class name."""
        return type(self).__name__

    @property
    def type_name(self) -> str:
        """The class name for built-in timetables, the import path for custom ones."""
        module = type(self).__module__
        if module.startswith(("riir_airflow.schedules.timetables", "riir_airflow.timetables")):
            return type(self).__name__
        return f"{module}.{type(self).__qualname__}"

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        """The data interval of a run triggered by hand at `run_after`."""
        raise NotImplementedError()

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        """The next run after the last scheduled or backfilled one, or None."""
        raise NotImplementedError()

    def next_dagrun_info_v2(
        self, *, last_dagrun_info: DagRunInfo | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        """Airflow 3.2+ entry point: the same as `next_dagrun_info` fed the last run's data interval."""
        return self.next_dagrun_info(
            last_automated_data_interval=last_dagrun_info.data_interval if last_dagrun_info else None,
            restriction=restriction,
        )

    def generate_run_id(
        self, *, run_type: Any, run_after: dt.datetime, data_interval: DataInterval | None, **extra: Any
    ) -> str:
        """`<run_type>__<run_after ISO>`, like Airflow's `DagRunType.generate_run_id`."""
        return f"{getattr(run_type, 'value', run_type)}__{run_after.isoformat()}"

    def next_dagrun_infos(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction, n: int
    ) -> list[DagRunInfo]:
        """Up to `n` consecutive runs, each after the one before; stops at the first None."""
        infos: list[DagRunInfo] = []
        last = last_automated_data_interval
        for _ in range(n):
            info = self.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
            if info is None:
                break
            infos.append(info)
            last = info.data_interval
        return infos

    def localize_partition_datetime(self, when: dt.datetime) -> pendulum.DateTime:
        """`when`'s wall-clock reading as a moment of this timetable's zone (UTC here; cron timetables use their
        own), so partition-date filters (`dags clear --partition-date-start`) keep their time of day."""
        moment = pendulum.instance(when) if when.tzinfo is not None else pendulum.instance(when, tz="UTC")
        return moment.in_timezone("UTC")


# --- Rust-backed periodic timetables ------------------------------------------------------------------------------
class _RustTimetable(Timetable):
    """Delegates `next_dagrun_info` to a `_core.Timetable`; an invalid argument is reported by `validate()`."""

    _rust: _core.Timetable | None = None
    _error: AirflowTimetableInvalid | None = None

    def _build(self) -> _core.Timetable:
        raise NotImplementedError()

    def _init_rust(self) -> None:
        try:
            self._rust = self._build()
            self._error = None
        except AirflowTimetableInvalid as exc:
            self._rust, self._error = None, exc

    def _core_timetable(self) -> _core.Timetable:
        if self._rust is None:
            raise self._error or AirflowTimetableInvalid(f"{type(self).__name__} is invalid")
        return self._rust

    def validate(self) -> None:
        self._core_timetable()

    def next_dagrun_infos(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction, n: int
    ) -> list[DagRunInfo]:
        last = last_automated_data_interval
        rows, error = self._core_timetable().next_dagrun_infos(
            None if last is None else (to_us(last.start), to_us(last.end)),
            _aware_us(restriction.earliest),
            _aware_us(restriction.latest),
            restriction.catchup,
            to_us(utcnow()),
            n,
        )
        if error is not None and not rows:
            raise AirflowTimetableInvalid(error)
        # With rows and an error, the rows are what stepwise calls return before the failing one (which a next
        # call, fed the last row, raises).
        return [
            DagRunInfo(run_after=from_us(r), data_interval=DataInterval(from_us(s), from_us(e))) for r, s, e in rows
        ]

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        infos = self.next_dagrun_infos(
            last_automated_data_interval=last_automated_data_interval, restriction=restriction, n=1
        )
        return infos[0] if infos else None

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        start, end = self._core_timetable().infer_manual_data_interval(to_us(run_after))
        return DataInterval(from_us(start), from_us(end))


@functools.cache
def _cron_descriptor() -> Any:
    """The optional cron-descriptor package, looked up once (a failed import is slow to repeat per DAG)."""
    try:
        import cron_descriptor  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    return cron_descriptor


def _describe(expression: str) -> str:
    """Airflow's cron description (cron-descriptor, with day-of-month OR day-of-week spelled out) when that
    package is installed; otherwise the expression itself."""
    module = _cron_descriptor()
    if module is None:
        return expression
    CasingTypeEnum, ExpressionDescriptor = module.CasingTypeEnum, module.ExpressionDescriptor

    def describe(text: str) -> str:
        descriptor = ExpressionDescriptor(text, casing_type=CasingTypeEnum.Sentence, use_24hour_time_format=True)
        return str(descriptor.get_description())

    fields = expression.split()
    if len(fields) >= 5 and fields[2] != "*" and fields[4] != "*":
        by_dom = " ".join([*fields[:4], "*", *fields[5:]])
        by_dow = " ".join([*fields[:2], "*", *fields[3:]])
        return f"{describe(by_dom)} (or) {describe(by_dow)}"
    return describe(expression)


class _CronMixin(_RustTimetable):
    _expression: str
    _timezone: Any

    def _init_cron(self, cron: str, timezone: Any) -> None:
        self._expression = CRON_PRESETS.get(cron, cron)
        self._timezone = pendulum.timezone(timezone) if isinstance(timezone, str) else timezone
        self._init_rust()
        self.description = ""
        if self._error is None:
            try:
                # Like Airflow: no description for 6- and 7-field expressions.
                if _core.Cron(self._expression).field_count == 5:
                    self.description = _describe(self._expression)
            except Exception:
                self.description = ""

    @property
    def summary(self) -> str:
        return self._expression

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._expression, zone_name(self._timezone)))

    def localize_partition_datetime(self, when: dt.datetime) -> pendulum.DateTime:
        local = pendulum.datetime(when.year, when.month, when.day, when.hour, when.minute, when.second,
                                  when.microsecond, tz=self._timezone)  # fmt: skip
        return local.in_timezone("UTC")


def _encode_interval(interval: Delta) -> float | dict[str, Any]:
    if isinstance(interval, dt.timedelta):
        return float(interval.total_seconds())
    encoded: dict[str, Any] = {k: v for k, v in vars(interval).items() if not k.startswith("_") and v}
    if interval.weekday is not None:
        weekday = interval.weekday
        encoded["weekday"] = [weekday.weekday, weekday.n] if weekday.n else [weekday.weekday]
    return encoded


def _decode_interval(value: float | dict[str, Any]) -> Delta:
    if isinstance(value, dict):
        data = dict(value)
        if "weekday" in data:
            from dateutil.relativedelta import weekday

            data["weekday"] = weekday(*data["weekday"])
        result: Delta = relativedelta(**data)
        return result
    return dt.timedelta(seconds=value)


def _encode_timezone(timezone: Any) -> str | int:
    if isinstance(timezone, pendulum.FixedTimezone):
        return "UTC" if timezone.offset == 0 else timezone.offset
    return zone_name(timezone)


def _decode_timezone(value: str | int) -> Any:
    return pendulum.timezone(value)


class CronDataIntervalTimetable(_CronMixin):
    """Data intervals between consecutive cron fire times; a run starts when its interval ends."""

    def __init__(self, cron: str, timezone: Any) -> None:
        self._init_cron(cron, timezone)

    def _build(self) -> _core.Timetable:
        return _core.Timetable.cron_data_interval(self._expression, zone_name(self._timezone))

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(data["expression"], _decode_timezone(data["timezone"]))

    def serialize(self) -> dict[str, Any]:
        return {"expression": self._expression, "timezone": _encode_timezone(self._timezone)}


def _encode_run_immediately(value: bool | dt.timedelta | None) -> tuple[str, int]:
    if isinstance(value, dt.timedelta):
        return ("delta", value // _US)
    if value is None:
        return ("auto", 0)
    return ("bool", int(bool(value)))


def _interval_before(run_after: dt.datetime, interval: Delta) -> DataInterval:
    """`(run_after - interval, run_after)` with pendulum's arithmetic in run_after's own zone, as Airflow does."""
    start = pendulum.instance(run_after) - interval
    return DataInterval(pendulum.instance(start), run_after)


class CronTriggerTimetable(_CronMixin):
    """Runs at each cron fire time, with a data interval of `interval` before it (zero by default)."""

    def __init__(
        self,
        cron: str,
        *,
        timezone: Any,
        interval: Delta = dt.timedelta(),
        run_immediately: bool | dt.timedelta | None = False,
    ) -> None:
        self._interval = interval
        self._run_immediately = run_immediately
        self._init_cron(cron, timezone)

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return _interval_before(run_after, self._interval)

    def _build(self) -> _core.Timetable:
        return _core.Timetable.cron_trigger(
            [self._expression],
            zone_name(self._timezone),
            _encode_delta(self._interval),
            _encode_run_immediately(self._run_immediately),
        )

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        run_immediately = data.get("run_immediately", False)
        if isinstance(run_immediately, float):
            run_immediately = dt.timedelta(seconds=run_immediately)
        return cls(
            data["expression"],
            timezone=_decode_timezone(data["timezone"]),
            interval=_decode_interval(data["interval"]),
            run_immediately=run_immediately,
        )

    def serialize(self) -> dict[str, Any]:
        run_immediately = self._run_immediately
        return {
            "expression": self._expression,
            "timezone": _encode_timezone(self._timezone),
            "interval": _encode_interval(self._interval),
            "run_immediately": run_immediately.total_seconds()
            if isinstance(run_immediately, dt.timedelta)
            else run_immediately,
        }


class MultipleCronTriggerTimetable(_RustTimetable):
    """Runs whenever any of several cron expressions fires (at most one run per instant)."""

    def __init__(
        self,
        *crons: str,
        timezone: Any,
        interval: Delta = dt.timedelta(),
        run_immediately: bool | dt.timedelta | None = False,
    ) -> None:
        if not crons:
            raise ValueError("cron expression required")
        self._timetables = [
            CronTriggerTimetable(cron, timezone=timezone, interval=interval, run_immediately=run_immediately)
            for cron in crons
        ]
        self._timezone = self._timetables[0]._timezone
        self._interval = interval
        self._run_immediately = run_immediately
        self.description = ", ".join(t.description for t in self._timetables)
        self._init_rust()

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return _interval_before(run_after, self._interval)

    def _build(self) -> _core.Timetable:
        return _core.Timetable.cron_trigger(
            [t._expression for t in self._timetables],
            zone_name(self._timezone),
            _encode_delta(self._interval),
            _encode_run_immediately(self._run_immediately),
        )

    @property
    def summary(self) -> str:
        return ", ".join(t.summary for t in self._timetables)

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        run_immediately = data["run_immediately"]
        if isinstance(run_immediately, float):
            run_immediately = dt.timedelta(seconds=run_immediately)
        return cls(
            *data["expressions"],
            timezone=_decode_timezone(data["timezone"]),
            interval=_decode_interval(data["interval"]),
            run_immediately=run_immediately,
        )

    def serialize(self) -> dict[str, Any]:
        first = self._timetables[0].serialize()
        return {
            "expressions": [t._expression for t in self._timetables],
            "timezone": first["timezone"],
            "interval": first["interval"],
            "run_immediately": first["run_immediately"],
        }


class _DeltaMixin(_RustTimetable):
    _delta: Delta

    def validate(self) -> None:
        now = dt.datetime.now()
        if (now + self._delta) <= now:
            raise AirflowTimetableInvalid(f"schedule interval must be positive, not {self._delta!r}")
        super().validate()

    @property
    def summary(self) -> str:
        return str(self._delta)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self._delta)))


class DeltaDataIntervalTimetable(_DeltaMixin):
    """Data intervals of a fixed (timedelta) or calendar (relativedelta) length."""

    def __init__(self, delta: Delta) -> None:
        self._delta = delta
        self._init_rust()

    def _build(self) -> _core.Timetable:
        return _core.Timetable.delta_data_interval(_encode_delta(self._delta))

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(_decode_interval(data["delta"]))

    def serialize(self) -> dict[str, Any]:
        return {"delta": _encode_interval(self._delta)}


class DeltaTriggerTimetable(_DeltaMixin):
    """Runs every `delta`, with a data interval of `interval` before each run (zero by default)."""

    def __init__(self, delta: Delta, *, interval: Delta = dt.timedelta()) -> None:
        self._delta = delta
        self._interval = interval
        self._init_rust()

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return _interval_before(run_after, self._interval)

    def _build(self) -> _core.Timetable:
        return _core.Timetable.delta_trigger(_encode_delta(self._delta), _encode_delta(self._interval))

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(_decode_interval(data["delta"]), interval=_decode_interval(data["interval"]))

    def serialize(self) -> dict[str, Any]:
        return {"delta": _encode_interval(self._delta), "interval": _encode_interval(self._interval)}


# --- trivial timetables (Python) ----------------------------------------------------------------------------------
class _TrivialTimetable(Timetable):
    periodic = False
    run_ordering: Sequence[str] = ("logical_date",)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return True

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return DataInterval.exact(run_after)


class NullTimetable(_TrivialTimetable):
    """Never schedules: `schedule=None`."""

    can_be_scheduled = False
    description: str = "Never, external triggers only"

    @property
    def summary(self) -> str:
        return "None"

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        return None


class OnceTimetable(_TrivialTimetable):
    """One run at the start date (or now): `schedule="@once"`."""

    description: str = "Once, as soon as possible"

    @property
    def summary(self) -> str:
        return "@once"

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            return None
        # Catchup does not matter: the one run is at the start date when there is one.
        run_after = restriction.earliest or utcnow()
        if restriction.latest is not None and run_after > restriction.latest:
            return None
        return DagRunInfo.exact(run_after)


class ContinuousTimetable(_TrivialTimetable):
    """One run after another, within start and end dates: `schedule="@continuous"`."""

    description: str = "As frequently as possible, but only one run at a time."
    active_runs_limit = 1

    @property
    def summary(self) -> str:
        return "@continuous"

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        now = utcnow()
        start_date = restriction.earliest or now
        last = last_automated_data_interval
        if last is None:
            start, end = start_date, max(start_date, now)
        elif last.end > now:
            # The previous run's interval ends in the future (start date ahead): keep its length.
            start = start_date
            # Elapsed time as a plain timedelta (pendulum's Interval would add calendar units).
            end = start + dt.timedelta(microseconds=to_us(last.end) - to_us(last.start))
        else:
            start, end = last.end, now
        if restriction.latest is not None and end > restriction.latest:
            return None
        return DagRunInfo.interval(start, end)


class EventsTimetable(Timetable):
    """Runs at listed instants (`event_dates`), each with an exact data interval."""

    def __init__(
        self,
        event_dates: Iterable[dt.datetime],
        restrict_to_events: bool = False,
        presorted: bool = False,
        description: str | None = None,
    ) -> None:
        self.event_dates = list(event_dates)
        if not presorted:
            self.event_dates.sort()
        self.restrict_to_events = restrict_to_events
        if description is None:
            if self.event_dates:
                first, last = self.event_dates[0], self.event_dates[-1]
                self.description = (
                    f"{len(self.event_dates)} events between {first.isoformat(sep='T')} and {last.isoformat(sep='T')}"
                )
            else:
                self.description = "No events"
            self._summary = f"{len(self.event_dates)} events"
        else:
            self._summary = description
            self.description = description

    @property
    def summary(self) -> str:
        return self._summary

    def __repr__(self) -> str:
        return self.summary

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        earliest = restriction.earliest
        if not restriction.catchup:
            now = utcnow()
            if earliest is None or now > earliest:
                earliest = now
        last_end = last_automated_data_interval.end if last_automated_data_interval else None
        for event in self.event_dates:
            if earliest is not None and event < earliest:
                continue
            if last_end is not None and event <= last_end:
                continue
            if restriction.latest is not None and event > restriction.latest:
                return None
            return DagRunInfo.exact(event)
        return None

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        if not self.restrict_to_events or not self.event_dates:
            return DataInterval.exact(run_after)
        if run_after < self.event_dates[0]:
            return DataInterval.exact(self.event_dates[0])
        # The most recent event at or before run_after.
        past = next(itertools.dropwhile(lambda when: when > run_after, reversed(self.event_dates)))
        return DataInterval.exact(past)

    def serialize(self) -> dict[str, Any]:
        return {
            "event_dates": [x.isoformat(sep="T") for x in self.event_dates],
            "restrict_to_events": self.restrict_to_events,
            "description": self.description,
            "_summary": self._summary,
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        timetable = cls(
            event_dates=[pendulum.DateTime.fromisoformat(x) for x in data["event_dates"]],
            restrict_to_events=data["restrict_to_events"],
            presorted=True,
            description=data["description"],
        )
        timetable._summary = data["_summary"]
        return timetable


# --- asset schedules ----------------------------------------------------------------------------------------------
def _is_asset(value: Any) -> bool:
    return isinstance(value, _base_asset_class())


@functools.cache
def _base_asset_class() -> type:
    """BaseAsset, imported on first use (its module imports this one) and kept: asked once per DAG."""
    from riir_airflow.schedules.assets import BaseAsset

    return BaseAsset


def _asset_all(assets: Collection[Any]) -> Any:
    try:
        from riir_airflow.schedules.assets import AssetAll
    except ImportError:  # pragma: no cover
        return list(assets)
    return AssetAll(*assets)


def _asset_from_expression(expression: Any) -> Any:
    """Rebuilds an asset condition from its `as_expression()` form (the inverse used by `deserialize`)."""
    from riir_airflow.schedules import assets

    if not isinstance(expression, dict) or len(expression) != 1:
        raise AirflowTimetableInvalid(f"not an asset expression: {expression!r}")
    ((kind, value),) = expression.items()
    if kind == "asset":
        return assets.Asset(name=value["name"], uri=value["uri"], group=value.get("group"))
    if kind in ("any", "all"):
        parts = [_asset_from_expression(v) for v in value]
        return assets.AssetAny(*parts) if kind == "any" else assets.AssetAll(*parts)
    if kind == "alias":
        return assets.AssetAlias(value["name"], group=value.get("group", "asset"))
    if kind == "asset_ref":
        return assets.Asset.ref(**value)
    raise AirflowTimetableInvalid(f"unknown asset expression {kind!r}")


class AssetTriggeredTimetable(_TrivialTimetable):
    """Runs when assets are updated; never on a clock."""

    description: str = "Triggered by assets"

    def __init__(self, assets: Any) -> None:
        if _is_asset(assets) or not isinstance(assets, Collection) or isinstance(assets, str):
            self.asset_condition = assets
        else:
            self.asset_condition = _asset_all(assets)

    @property
    def summary(self) -> str:
        return "Asset"

    def serialize(self) -> dict[str, Any]:
        condition = self.asset_condition
        as_expression = getattr(condition, "as_expression", None)
        return {"asset_condition": as_expression() if callable(as_expression) else repr(condition)}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(_asset_from_expression(data["asset_condition"]))

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        return None


class AssetOrTimeSchedule(AssetTriggeredTimetable):
    """Runs when assets are updated and also on `timetable`'s schedule."""

    def __init__(self, *, timetable: Timetable, assets: Any) -> None:
        super().__init__(assets)
        self.timetable = timetable
        self.description = f"Triggered by assets or {timetable.description}"
        self.periodic = timetable.periodic
        self.can_be_scheduled = timetable.can_be_scheduled
        self.active_runs_limit = timetable.active_runs_limit

    def validate(self) -> None:
        if isinstance(self.timetable, AssetTriggeredTimetable):
            raise AirflowTimetableInvalid("cannot nest asset timetables")
        if not _is_asset(self.asset_condition):
            raise AirflowTimetableInvalid("all elements in 'assets' must be assets")
        self.timetable.validate()

    @property
    def summary(self) -> str:
        return f"Asset or {self.timetable.summary}"

    def serialize(self) -> dict[str, Any]:
        return {**super().serialize(), "timetable": encode_timetable(self.timetable)}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(
            timetable=decode_timetable(data["timetable"]), assets=_asset_from_expression(data["asset_condition"])
        )

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return self.timetable.infer_manual_data_interval(run_after=run_after)

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        return self.timetable.next_dagrun_info(
            last_automated_data_interval=last_automated_data_interval, restriction=restriction
        )

    def generate_run_id(
        self, *, run_type: Any, run_after: dt.datetime, data_interval: DataInterval | None, **extra: Any
    ) -> str:
        return self.timetable.generate_run_id(
            run_type=run_type, run_after=run_after, data_interval=data_interval, **extra
        )


# --- schedule= mapping --------------------------------------------------------------------------------------------
def _create_cron_data_intervals() -> bool:
    return core_settings.create_cron_data_intervals()


def create_timetable(schedule: Any, timezone: Any) -> Timetable:
    """The timetable for a DAG's `schedule=` value, as Airflow 3.3 maps it.

    A Timetable is used as it is; an asset (or a collection of assets) gives an AssetTriggeredTimetable; `None`,
    `"@once"` and `"@continuous"` the trivial timetables; a timedelta/relativedelta or a cron string (or preset) a
    trigger timetable, or a data-interval one when `[scheduler] create_cron_data_intervals` is on.
    """
    if isinstance(schedule, Timetable):
        return schedule
    if _is_asset(schedule):
        return AssetTriggeredTimetable(schedule)
    if isinstance(schedule, Collection) and not isinstance(schedule, str):
        if not all(_is_asset(x) for x in schedule):
            raise ValueError("All elements in 'schedule' should be either assets, asset references, or asset aliases")
        return AssetTriggeredTimetable(_asset_all(schedule))
    if schedule is None:
        return NullTimetable()
    if schedule == "@once":
        return OnceTimetable()
    if schedule == "@continuous":
        return ContinuousTimetable()
    if isinstance(schedule, dt.timedelta | relativedelta):
        if _create_cron_data_intervals():
            return DeltaDataIntervalTimetable(schedule)
        return DeltaTriggerTimetable(schedule)
    if isinstance(schedule, str):
        if _create_cron_data_intervals():
            return CronDataIntervalTimetable(schedule, timezone)
        return CronTriggerTimetable(schedule, timezone=timezone)
    raise ValueError(f"{schedule!r} is not a valid schedule.")


def next_executions(
    timetable: Timetable,
    n: int,
    *,
    first: DagRunInfo | None = None,
    restriction: TimeRestriction | None = None,
) -> list[DagRunInfo | None]:
    """What `dags next-execution -n N` prints: the DAG's next run, then `n - 1` runs after it.

    `first` is the next run the scheduler recorded (DagModel.next_dagrun*); without it the timetable is asked with
    `restriction` (the DAG's start/end/catchup). Later runs are unrestricted, as in Airflow. A trailing None means
    there is no further run.
    """
    if first is None:
        first = timetable.next_dagrun_info(
            last_automated_data_interval=None,
            restriction=restriction or TimeRestriction(earliest=None, latest=None, catchup=True),
        )
    if first is None:
        return [None]
    rest = timetable.next_dagrun_infos(
        last_automated_data_interval=first.data_interval,
        restriction=TimeRestriction(earliest=None, latest=None, catchup=True),
        n=n - 1,
    )
    result: list[DagRunInfo | None] = [first, *rest]
    if len(result) < n:
        result.append(None)
    return result


# --- serialization in Airflow's encoding --------------------------------------------------------------------------
BUILTIN_TIMETABLES: dict[str, type[Timetable]] = {
    "airflow.timetables.assets.AssetOrTimeSchedule": AssetOrTimeSchedule,
    "airflow.timetables.simple.AssetTriggeredTimetable": AssetTriggeredTimetable,
    "airflow.timetables.simple.ContinuousTimetable": ContinuousTimetable,
    "airflow.timetables.interval.CronDataIntervalTimetable": CronDataIntervalTimetable,
    "airflow.timetables.trigger.CronTriggerTimetable": CronTriggerTimetable,
    "airflow.timetables.interval.DeltaDataIntervalTimetable": DeltaDataIntervalTimetable,
    "airflow.timetables.trigger.DeltaTriggerTimetable": DeltaTriggerTimetable,
    "airflow.timetables.events.EventsTimetable": EventsTimetable,
    "airflow.timetables.trigger.MultipleCronTriggerTimetable": MultipleCronTriggerTimetable,
    "airflow.timetables.simple.NullTimetable": NullTimetable,
    "airflow.timetables.simple.OnceTimetable": OnceTimetable,
}


def encode_timetable(timetable: Timetable) -> dict[str, Any]:
    """`{"__type": <Airflow import path>, "__var": serialize()}` as in Airflow's serialized DAGs."""
    for path, cls in BUILTIN_TIMETABLES.items():
        if type(timetable) is cls:
            return {"__type": path, "__var": timetable.serialize()}
    cls_ = type(timetable)
    return {"__type": f"{cls_.__module__}.{cls_.__qualname__}", "__var": timetable.serialize()}


def decode_timetable(data: dict[str, Any]) -> Timetable:
    """The inverse of `encode_timetable`; custom timetables are imported by path."""
    path = data["__type"]
    cls = BUILTIN_TIMETABLES.get(path)
    if cls is None:
        import importlib

        module, _, name = path.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        if not (isinstance(cls, type) and issubclass(cls, Timetable)):
            raise AirflowTimetableInvalid(f"{path} is not a Timetable")
    return cls.deserialize(data["__var"])


# Partitioned schedules live in their own module (they build on the classes above and add themselves to
# BUILTIN_TIMETABLES); importing it here makes them decodable whichever module is imported first.
import riir_airflow.schedules.partition_timetables  # noqa: E402, F401
