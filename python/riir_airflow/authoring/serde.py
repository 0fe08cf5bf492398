"""XCom values as JSON, in the tagged form Airflow 3 stores (`__classname__`, `__version__`, `__data__`).

Plain JSON types pass through; tuples, sets, datetimes, dates, timedeltas, decimals, UUIDs and enums are tagged the
way Airflow's serde tags them, so values written by riir and by Airflow read the same. Pickle is never used.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import uuid
from typing import Any

import pendulum

CLASSNAME = "__classname__"
VERSION = "__version__"
DATA = "__data__"
MAX_DEPTH = 10


def _encode(classname: str, version: int, data: Any) -> dict[str, Any]:
    return {CLASSNAME: classname, VERSION: version, DATA: data}


def _qualname(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _tz_data(tz: dt.tzinfo | None) -> Any:
    """A time zone as Airflow's serde encodes it: (name or offset, class, version, ok) in a tagged tuple."""
    if tz is None:
        return None
    fixed = "pendulum.tz.timezone.FixedTimezone"
    if isinstance(tz, pendulum.FixedTimezone):
        offset = int(tz.offset)
        data: list[Any] = ["UTC" if offset == 0 else offset, _qualname(tz), 1, True]
    elif (name := getattr(tz, "key", None) or getattr(tz, "name", None) or getattr(tz, "zone", None)) is not None:
        data = [name, _qualname(tz), 1, True]
    elif tz.utcoffset(None) == dt.timedelta(0):
        data = ["UTC", fixed, 1, True]
    else:
        data = ["", "", 0, False]  # Airflow cannot encode other zones either
    return _encode("builtins.tuple", 1, data)


def serialize(value: Any, depth: int = 0) -> Any:
    """A JSON-compatible form of `value`; raises TypeError for values Airflow cannot store either."""
    if depth > MAX_DEPTH:
        raise RecursionError("maximum recursion depth reached for serialization")
    if value is None or (isinstance(value, (bool, int, float, str)) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [serialize(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if CLASSNAME in value:
            raise AttributeError(f"reserved key {CLASSNAME} found in dict to serialize")
        return {str(k): serialize(v, depth + 1) for k, v in value.items()}
    if isinstance(value, tuple):
        return _encode("builtins.tuple", 1, [serialize(v, depth + 1) for v in value])
    if isinstance(value, frozenset):
        return _encode("builtins.frozenset", 1, [serialize(v, depth + 1) for v in value])
    if isinstance(value, set):
        return _encode("builtins.set", 1, [serialize(v, depth + 1) for v in value])
    if isinstance(value, dt.datetime):
        classname = "pendulum.datetime.DateTime" if isinstance(value, pendulum.DateTime) else "datetime.datetime"
        return _encode(classname, 2, {"timestamp": value.timestamp(), "tz": _tz_data(value.tzinfo)})
    if isinstance(value, dt.date):
        classname = "pendulum.date.Date" if isinstance(value, pendulum.Date) else "datetime.date"
        return _encode(classname, 2, value.isoformat())
    if isinstance(value, dt.timedelta):
        return _encode("datetime.timedelta", 2, value.total_seconds())
    if isinstance(value, decimal.Decimal):
        number = float(value) if value != value.to_integral_value() else int(value)
        return _encode("decimal.Decimal", 1, number)
    if isinstance(value, uuid.UUID):
        return _encode("uuid.UUID", 1, str(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return _encode(
            f"{cls.__module__}.{cls.__qualname__}",
            getattr(cls, "__version__", 0),
            serialize(dataclasses.asdict(value), depth + 1),
        )
    if hasattr(value, "serialize") and callable(value.serialize):
        cls = type(value)
        return _encode(
            f"{cls.__module__}.{cls.__qualname__}",
            getattr(cls, "__version__", 0),
            serialize(value.serialize(), depth + 1),
        )
    raise TypeError(f"cannot serialize object of type {type(value).__module__}.{type(value).__qualname__}")


def _tz_from(data: Any) -> dt.tzinfo | None:
    if data is None:
        return None
    name = deserialize(data)[0] if isinstance(data, dict) else data
    if isinstance(name, int):
        return pendulum.FixedTimezone(name)
    if not name:
        return None
    return pendulum.timezone(str(name))


def deserialize(value: Any) -> Any:
    """The Python value of a serialized form (tagged classes become their Python types again)."""
    if isinstance(value, list):
        return [deserialize(v) for v in value]
    if not isinstance(value, dict):
        return value
    if CLASSNAME not in value:
        return {k: deserialize(v) for k, v in value.items()}
    classname: str = value[CLASSNAME]
    data: Any = value.get(DATA)
    if classname == "builtins.tuple":
        return tuple(deserialize(v) for v in data)
    if classname == "builtins.set":
        return {deserialize(v) for v in data}
    if classname == "builtins.frozenset":
        return frozenset(deserialize(v) for v in data)
    if classname in ("datetime.datetime", "pendulum.datetime.DateTime"):
        tz = _tz_from(data["tz"])
        moment = pendulum.from_timestamp(data["timestamp"], tz=tz or pendulum.UTC)  # type: ignore[arg-type]
        if classname == "datetime.datetime":
            plain = dt.datetime.fromtimestamp(data["timestamp"], tz=tz or dt.UTC)
            return plain if tz is not None else plain.replace(tzinfo=None)
        return moment
    if classname == "datetime.date":
        return dt.date.fromisoformat(data)
    if classname == "pendulum.date.Date":
        return pendulum.Date.fromisoformat(data)
    if classname == "datetime.timedelta":
        return dt.timedelta(seconds=data)
    if classname == "decimal.Decimal":
        return decimal.Decimal(str(data))
    if classname == "uuid.UUID":
        return uuid.UUID(data)
    # Unknown classes come back as their data (Airflow would need the class to be allowed for import).
    return deserialize(data)
