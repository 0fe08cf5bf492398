"""Partition mappers, windows and wait policies of partitioned assets (Airflow 3.2+, `airflow.sdk`).

A partitioned asset's events carry a partition key; a DAG scheduled on it (PartitionedAssetTimetable) maps each
upstream key to the key of its own run with a mapper: identity, a fixed key, an allow-list, a time bucket
(StartOfDay/Week/...), chains and products of those, or many-to-one (RollupMapper over a Window, fired by a
WaitPolicy) and one-to-many (FanOutMapper). The classes validate as Airflow's do when a DAG file is parsed, serialize
exactly as Airflow's (`encode_partition_mapper`: {"__type": core import path, "__var": ...}), and `to_downstream`
maps keys as Airflow's scheduler-side mappers do.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any, ClassVar

import pendulum

from riir_airflow.schedules.timezone import parse_timezone


# --- wait policies ----------------------------------------------------------------------------------------------
class WaitPolicy:
    """When a rolled-up downstream run may fire, given how many of its upstream keys arrived."""

    def serialize(self) -> dict[str, Any]:
        return {}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.serialize() == self.serialize()

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.serialize().items()))))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.serialize().items())
        return f"{type(self).__name__}({fields})"


class WaitForAll(WaitPolicy):
    """Fires only when every expected upstream key has arrived."""

    def is_satisfied(self, matched: int, expected: int) -> bool:
        return matched == expected


class MinimumCount(WaitPolicy):
    """`n > 0`: fires once n keys arrived; `n < 0`: once at most -n keys are still missing."""

    def __init__(self, n: int) -> None:
        if n == 0:
            raise ValueError(
                "MinimumCount(0) is degenerate: n=0 would always fire, even on empty windows. "
                "Use WaitForAll() to require every key, or MinimumCount(n) with n != 0."
            )
        self.n = n

    def serialize(self) -> dict[str, Any]:
        return {"n": self.n}

    def is_satisfied(self, matched: int, expected: int) -> bool:
        return matched >= (self.n if self.n > 0 else max(0, expected + self.n))


# --- windows ----------------------------------------------------------------------------------------------------
class Window:
    """Which upstream keys make up one downstream key (rollup), or which downstream keys one upstream key fans out
    to; `direction` BACKWARD takes the trailing period ending at the key instead of the one starting at it."""

    class Direction(str, enum.Enum):
        BACKWARD = "backward"
        FORWARD = "forward"

    expected_decoded_type: ClassVar[type] = str

    def __init__(self, *, direction: Window.Direction | str = Direction.FORWARD) -> None:
        self.direction = self.Direction(direction)

    def serialize(self) -> dict[str, Any]:
        return {"direction": self.direction.value}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Window:
        return cls(direction=cls.Direction(data["direction"]))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.serialize() == self.serialize()

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self.serialize())))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(direction={self.direction!r})"


class HourWindow(Window):
    """Sixty consecutive minute keys making up one hour."""

    expected_decoded_type: ClassVar[type] = dt.datetime


class DayWindow(Window):
    """Twenty-four consecutive hourly keys making up one day."""

    expected_decoded_type: ClassVar[type] = dt.datetime


class WeekWindow(Window):
    """Seven consecutive daily keys making up one week."""

    expected_decoded_type: ClassVar[type] = dt.datetime


class MonthWindow(Window):
    """All daily keys making up one calendar month."""

    expected_decoded_type: ClassVar[type] = dt.datetime


class QuarterWindow(Window):
    """Three consecutive monthly keys making up one calendar quarter."""

    expected_decoded_type: ClassVar[type] = dt.datetime


class YearWindow(Window):
    """Twelve consecutive monthly keys making up one calendar year."""

    expected_decoded_type: ClassVar[type] = dt.datetime


class SegmentWindow(Window):
    """A fixed set of string keys that together make up one downstream key (a categorical rollup)."""

    def __init__(self, segments: Iterable[str]) -> None:
        super().__init__()
        validated: list[str] = []
        for i, item in enumerate(segments):
            if not isinstance(item, str):
                raise ValueError(
                    f"SegmentWindow segment keys must be str; got {type(item).__name__!r} at index {i}: {item!r}"
                )
            if not item:
                raise ValueError(f"SegmentWindow segment keys must be non-empty; got an empty string at index {i}.")
            validated.append(item)
        if not validated:
            raise ValueError("SegmentWindow requires at least one segment key; got an empty iterable.")
        self._segments = frozenset(validated)

    def serialize(self) -> dict[str, Any]:
        return {"segments": sorted(self._segments)}

    def __repr__(self) -> str:
        return f"SegmentWindow(segments={sorted(self._segments)!r})"


# --- mappers ----------------------------------------------------------------------------------------------------
def _check_max_downstream_keys(value: Any) -> int | None:
    if value is not None and (not isinstance(value, int) or value < 1):
        raise ValueError(f"max_downstream_keys must be a positive integer or None, got {value!r}")
    return value


class PartitionMapper:
    """Maps an upstream partition key to the key of the downstream run."""

    is_rollup: ClassVar[bool] = False
    expected_decoded_type: ClassVar[type] = str

    def __init__(self, *, max_downstream_keys: int | None = None) -> None:
        self.max_downstream_keys = _check_max_downstream_keys(max_downstream_keys)

    def _fields(self) -> dict[str, Any]:
        return {}

    def serialize(self) -> dict[str, Any]:
        """Airflow's encoding of the mapper's fields (`max_downstream_keys` only when set)."""
        data = self._fields()
        if self.max_downstream_keys is not None:
            data["max_downstream_keys"] = self.max_downstream_keys
        return data

    def to_downstream(self, key: str) -> str | Iterable[str]:
        raise NotImplementedError(f"{type(self).__name__} does not map keys by itself")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and encode_partition_mapper(other) == encode_partition_mapper(self)

    def __hash__(self) -> int:
        return hash(repr(encode_partition_mapper(self)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.serialize()!r})"


class IdentityMapper(PartitionMapper):
    """Keeps the key."""

    def to_downstream(self, key: str) -> str:
        return key


class FixedKeyMapper(PartitionMapper):
    """Every upstream key maps onto one fixed downstream key."""

    def __init__(self, downstream_key: str, *, max_downstream_keys: int | None = None) -> None:
        if not downstream_key or not isinstance(downstream_key, str):
            raise ValueError(f"FixedKeyMapper downstream_key must be a non-empty str; got {downstream_key!r}.")
        super().__init__(max_downstream_keys=max_downstream_keys)
        self.downstream_key = downstream_key

    def _fields(self) -> dict[str, Any]:
        return {"downstream_key": self.downstream_key}

    def to_downstream(self, key: str) -> str:
        return self.downstream_key


class AllowedKeyMapper(PartitionMapper):
    """Keeps the key if it is one of `allowed_keys` (else the event maps to no run)."""

    def __init__(self, allowed_keys: list[str], *, max_downstream_keys: int | None = None) -> None:
        super().__init__(max_downstream_keys=max_downstream_keys)
        self.allowed_keys = allowed_keys

    def _fields(self) -> dict[str, Any]:
        return {"allowed_keys": self.allowed_keys}

    def to_downstream(self, key: str) -> str:
        if key not in self.allowed_keys:
            raise ValueError(f"Key {key!r} not in allowed keys {self.allowed_keys}")
        return key


class ChainMapper(PartitionMapper):
    """Applies mappers one after another."""

    def __init__(
        self, mapper0: PartitionMapper, mapper1: PartitionMapper, /, *mappers: PartitionMapper,
        max_downstream_keys: int | None = None,
    ) -> None:  # fmt: skip
        super().__init__(max_downstream_keys=max_downstream_keys)
        self.mappers = [mapper0, mapper1, *mappers]

    def _fields(self) -> dict[str, Any]:
        return {"mappers": [encode_partition_mapper(m) for m in self.mappers]}

    def to_downstream(self, key: str) -> str | Iterable[str]:
        keys: list[str] = [key]
        for mapper in self.mappers:
            mapped: list[str] = []
            for current in keys:
                result = mapper.to_downstream(current)
                mapped.extend([result] if isinstance(result, str) else result)
            keys = mapped
        return keys[0] if len(keys) == 1 else keys


class ProductMapper(PartitionMapper):
    """Maps each `delimiter`-separated part of a multi-dimensional key with its own mapper."""

    def __init__(
        self, mapper0: PartitionMapper, mapper1: PartitionMapper, /, *mappers: PartitionMapper, delimiter: str = "|",
        max_downstream_keys: int | None = None,
    ) -> None:  # fmt: skip
        super().__init__(max_downstream_keys=max_downstream_keys)
        self.mappers = [mapper0, mapper1, *mappers]
        self.delimiter = delimiter

    def _fields(self) -> dict[str, Any]:
        return {"delimiter": self.delimiter, "mappers": [encode_partition_mapper(m) for m in self.mappers]}

    def to_downstream(self, key: str) -> str:
        parts = key.split(self.delimiter)
        if len(parts) != len(self.mappers):
            raise ValueError(
                f"Expected {len(self.mappers)} segments in key {key!r} split by {self.delimiter!r}, got {len(parts)}"
            )
        mapped = []
        for mapper, part in zip(self.mappers, parts, strict=True):
            result = mapper.to_downstream(part)
            if not isinstance(result, str):
                raise ValueError(f"{type(mapper).__name__} maps {part!r} to several keys inside a ProductMapper")
            mapped.append(result)
        return self.delimiter.join(mapped)


class _BaseTemporalMapper(PartitionMapper):
    """Parses the key as a time (`input_format`, in `timezone`) and maps it to the start of its period."""

    default_output_format: ClassVar[str]
    expected_decoded_type: ClassVar[type] = dt.datetime

    def __init__(
        self,
        *,
        timezone: Any = "UTC",
        input_format: str = "%Y-%m-%dT%H:%M:%S",
        output_format: str | None = None,
        max_downstream_keys: int | None = None,
    ) -> None:
        super().__init__(max_downstream_keys=max_downstream_keys)
        self._timezone = parse_timezone(timezone) if isinstance(timezone, str) else timezone
        self.input_format = input_format
        self.output_format = output_format or self.default_output_format

    def _fields(self) -> dict[str, Any]:
        from riir_airflow.schedules.timetables import _encode_timezone

        return {
            "timezone": _encode_timezone(self._timezone),
            "input_format": self.input_format,
            "output_format": self.output_format,
        }

    def normalize(self, moment: dt.datetime) -> dt.datetime:
        raise NotImplementedError

    def format(self, moment: dt.datetime) -> str:
        return moment.strftime(self.output_format)

    def to_downstream(self, key: str) -> str:
        moment = dt.datetime.strptime(key, self.input_format)
        if moment.tzinfo is None:
            moment = pendulum.instance(moment, tz=self._timezone)
        else:
            moment = moment.astimezone(self._timezone)
        return self.format(self.normalize(moment))


class StartOfHourMapper(_BaseTemporalMapper):
    """`2024-03-13T10:42:15` → `2024-03-13T10`."""

    default_output_format = "%Y-%m-%dT%H"

    def normalize(self, moment: dt.datetime) -> dt.datetime:
        return moment.replace(minute=0, second=0, microsecond=0)


class StartOfDayMapper(_BaseTemporalMapper):
    """`2024-03-13T10:42:15` → `2024-03-13`."""

    default_output_format = "%Y-%m-%d"

    def normalize(self, moment: dt.datetime) -> dt.datetime:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)


class StartOfWeekMapper(_BaseTemporalMapper):
    """`2024-03-13T10:42:15` → `2024-03-11 (W11)` (the Monday of the ISO week)."""

    default_output_format = "%Y-%m-%d (W%V)"

    def normalize(self, moment: dt.datetime) -> dt.datetime:
        start = moment - dt.timedelta(days=moment.weekday())
        return start.replace(hour=0, minute=0, second=0, microsecond=0)


class StartOfMonthMapper(_BaseTemporalMapper):
    """`2024-03-13T10:42:15` → `2024-03`."""

    default_output_format = "%Y-%m"

    def normalize(self, moment: dt.datetime) -> dt.datetime:
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class StartOfQuarterMapper(_BaseTemporalMapper):
    """`2024-03-13T10:42:15` → `2024-Q1`."""

    default_output_format = "%Y-Q{quarter}"

    def normalize(self, moment: dt.datetime) -> dt.datetime:
        month = ((moment.month - 1) // 3) * 3 + 1
        return moment.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)

    def format(self, moment: dt.datetime) -> str:
        return moment.strftime(self.output_format.replace("{quarter}", str((moment.month - 1) // 3 + 1)))


class StartOfYearMapper(_BaseTemporalMapper):
    """`2024-03-13T10:42:15` → `2024`."""

    default_output_format = "%Y"

    def normalize(self, moment: dt.datetime) -> dt.datetime:
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


class RollupMapper(PartitionMapper):
    """Many upstream keys → one downstream key: `upstream_mapper` normalizes each key, `window` lists the keys one
    downstream run needs, `wait_policy` says when it fires."""

    is_rollup: ClassVar[bool] = True

    def __init__(
        self,
        *,
        upstream_mapper: PartitionMapper,
        window: Window,
        wait_policy: WaitPolicy | None = None,
        max_downstream_keys: int | None = None,
    ) -> None:
        super().__init__(max_downstream_keys=max_downstream_keys)
        self.upstream_mapper = upstream_mapper
        self.window = window
        self.wait_policy = wait_policy if wait_policy is not None else WaitForAll()
        if upstream_mapper.expected_decoded_type is not window.expected_decoded_type:
            raise TypeError(
                f"{type(window).__name__} expects decoded values of type "
                f"{window.expected_decoded_type.__name__!r}, but "
                f"{type(upstream_mapper).__name__} decodes to "
                f"{upstream_mapper.expected_decoded_type.__name__!r}. Pair a window and an "
                f"upstream mapper whose 'expected_decoded_type' match."
            )

    def _fields(self) -> dict[str, Any]:
        return {
            "upstream_mapper": encode_partition_mapper(self.upstream_mapper),
            "window": encode_window(self.window),
            "wait_policy": encode_wait_policy(self.wait_policy),
        }

    def to_downstream(self, key: str) -> str | Iterable[str]:
        return self.upstream_mapper.to_downstream(key)


class FanOutMapper(PartitionMapper):
    """One upstream key → the keys of every member of its period (the window), formatted by `downstream_mapper`."""

    default_downstream_mapper_by_window_name: ClassVar[dict[str, type[_BaseTemporalMapper]]] = {
        "DayWindow": StartOfHourMapper,
        "WeekWindow": StartOfDayMapper,
        "MonthWindow": StartOfDayMapper,
        "QuarterWindow": StartOfMonthMapper,
        "YearWindow": StartOfMonthMapper,
    }

    def __init__(
        self,
        *,
        upstream_mapper: PartitionMapper,
        window: Window,
        downstream_mapper: PartitionMapper | None = None,
        max_downstream_keys: int | None = None,
    ) -> None:
        super().__init__(max_downstream_keys=max_downstream_keys)
        self.upstream_mapper = upstream_mapper
        self.window = window
        self.downstream_mapper = downstream_mapper or type(self)._resolve_default_downstream_mapper(window)

    @classmethod
    def _resolve_default_downstream_mapper(cls, window: Window) -> PartitionMapper:
        mapper_cls = cls.default_downstream_mapper_by_window_name.get(type(window).__name__)
        if mapper_cls is None:
            raise ValueError(
                f"{cls.__name__} has no default downstream_mapper for window type "
                f"{type(window).__name__}; pass downstream_mapper explicitly."
            )
        return mapper_cls()

    def _fields(self) -> dict[str, Any]:
        return {
            "upstream_mapper": encode_partition_mapper(self.upstream_mapper),
            "window": encode_window(self.window),
            "downstream_mapper": encode_partition_mapper(self.downstream_mapper),
        }


# --- Airflow's encoding -------------------------------------------------------------------------------------------
_CORE = "airflow.partition_mappers"
BUILTIN_PARTITION_MAPPERS: dict[type, str] = {
    AllowedKeyMapper: f"{_CORE}.allowed_key.AllowedKeyMapper",
    ChainMapper: f"{_CORE}.chain.ChainMapper",
    FanOutMapper: f"{_CORE}.temporal.FanOutMapper",
    FixedKeyMapper: f"{_CORE}.fixed_key.FixedKeyMapper",
    IdentityMapper: f"{_CORE}.identity.IdentityMapper",
    ProductMapper: f"{_CORE}.product.ProductMapper",
    RollupMapper: f"{_CORE}.base.RollupMapper",
    StartOfDayMapper: f"{_CORE}.temporal.StartOfDayMapper",
    StartOfHourMapper: f"{_CORE}.temporal.StartOfHourMapper",
    StartOfMonthMapper: f"{_CORE}.temporal.StartOfMonthMapper",
    StartOfQuarterMapper: f"{_CORE}.temporal.StartOfQuarterMapper",
    StartOfWeekMapper: f"{_CORE}.temporal.StartOfWeekMapper",
    StartOfYearMapper: f"{_CORE}.temporal.StartOfYearMapper",
}
BUILTIN_WINDOWS: dict[type, str] = {
    cls: f"{_CORE}.window.{cls.__name__}"
    for cls in (HourWindow, DayWindow, WeekWindow, MonthWindow, QuarterWindow, SegmentWindow, YearWindow)
}
BUILTIN_WAIT_POLICIES: dict[type, str] = {
    WaitForAll: f"{_CORE}.wait_policy.WaitForAll",
    MinimumCount: f"{_CORE}.wait_policy.MinimumCount",
}


def _qualname(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


def encode_partition_mapper(mapper: PartitionMapper) -> dict[str, Any]:
    """`{"__type": import path, "__var": fields}`; built-ins under Airflow's core paths."""
    return {"__type": BUILTIN_PARTITION_MAPPERS.get(type(mapper)) or _qualname(mapper), "__var": mapper.serialize()}


def encode_window(window: Window) -> dict[str, Any]:
    return {"__type": BUILTIN_WINDOWS.get(type(window)) or _qualname(window), "__var": window.serialize()}


def encode_wait_policy(policy: WaitPolicy) -> dict[str, Any]:
    path = BUILTIN_WAIT_POLICIES.get(type(policy))
    if path is None:
        raise ValueError(f"Wait policy {_qualname(policy)} is not supported: use WaitForAll or MinimumCount")
    return {"__type": path, "__var": policy.serialize()}


def _by_path(table: dict[type, str], path: str, kind: str) -> type:
    for cls, known in table.items():
        if known == path:
            return cls
    import importlib

    module, _, name = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"unknown {kind} {path!r}: {exc}") from None
    return found  # type: ignore[no-any-return]


def decode_window(data: dict[str, Any]) -> Window:
    cls = _by_path(BUILTIN_WINDOWS, data["__type"], "window")
    var = data["__var"]
    if cls is SegmentWindow:
        return SegmentWindow(var["segments"])
    return cls.deserialize(var)  # type: ignore[attr-defined, no-any-return]


def decode_wait_policy(data: dict[str, Any]) -> WaitPolicy:
    cls = _by_path(BUILTIN_WAIT_POLICIES, data["__type"], "wait policy")
    return MinimumCount(data["__var"]["n"]) if cls is MinimumCount else cls()


def decode_partition_mapper(data: dict[str, Any]) -> PartitionMapper:
    """The inverse of `encode_partition_mapper`."""
    cls = _by_path(BUILTIN_PARTITION_MAPPERS, data["__type"], "partition mapper")
    var = dict(data["__var"])
    limit = var.pop("max_downstream_keys", None)
    mapper: PartitionMapper
    if cls in (ChainMapper, ProductMapper):
        mappers = [decode_partition_mapper(m) for m in var.pop("mappers")]
        mapper = cls(*mappers, max_downstream_keys=limit, **var)
    elif cls is RollupMapper:
        mapper = RollupMapper(
            upstream_mapper=decode_partition_mapper(var["upstream_mapper"]), window=decode_window(var["window"]),
            wait_policy=decode_wait_policy(var["wait_policy"]), max_downstream_keys=limit,
        )  # fmt: skip
    elif cls is FanOutMapper:
        mapper = FanOutMapper(
            upstream_mapper=decode_partition_mapper(var["upstream_mapper"]), window=decode_window(var["window"]),
            downstream_mapper=decode_partition_mapper(var["downstream_mapper"]), max_downstream_keys=limit,
        )  # fmt: skip
    else:
        mapper = cls(max_downstream_keys=limit, **var)
    return mapper
