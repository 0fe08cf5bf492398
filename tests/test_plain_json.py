"""`_core.plain_json` returns what a JSON round trip (`json.loads(json.dumps(value, default=...))`) returns."""

from __future__ import annotations

import datetime
import enum
import json
import math
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from riir_airflow._core import plain_json


class Color(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Ratio(float):
    def __repr__(self) -> str:
        return "Ratio!"


class Name(str):
    def __str__(self) -> str:
        return "not what JSON writes"


class Backwards(list[Any]):
    def __iter__(self) -> Iterator[Any]:
        return iter(reversed(list(super().__iter__())))


class Renamed(dict[Any, Any]):
    def items(self) -> Any:
        return [(f"renamed_{k}", v) for k, v in super().items()]


def default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, complex):
        return {"real": value.real, "imag": (value.imag,)}
    raise TypeError(f"cannot serialize {type(value).__name__}")


def round_trip(value: Any, hook: Callable[[Any], Any] | None = default) -> Any:
    return json.loads(json.dumps(value, default=hook))


VALUES: list[Any] = [
    None,
    True,
    0,
    -12,
    10**30,
    1.5,
    -0.0,
    "text",
    "é \ud800 \n",  # a lone surrogate survives the round trip
    [],
    (),
    {},
    [1, (2, 3), [4, [5, {"a": (6,)}]]],
    {"nested": {"list": [1, 2], "tuple": ("x",), "empty": {}}},
    Color.RED,
    Level.HIGH,
    Ratio(2.5),
    Name("plain"),
    [Color.RED, Level.HIGH, Ratio(0.25), Name("n")],
    {7: "int key", 2.5: "float key", True: "bool key", None: "none key", Level.HIGH: "int enum key"},
    {Color.RED: 1, Name("k"): 2},
    {1: "first", "1": "second", "x": 0},  # two keys become "1": first place, last value
    {float("inf"): 1, float("-inf"): 2},
    datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    {"when": datetime.datetime(2024, 1, 2), "tags": {"b", "a"}, "frozen": frozenset({3, 1})},
    [complex(1, 2)],
    Backwards([1, 2, 3]),
    Renamed({"a": 1}),
    OrderedDict([("z", 1), ("a", 2)]),
]


@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:40] for v in VALUES])
def test_same_result_as_a_json_round_trip(value: Any) -> None:
    expected = round_trip(value)
    result = plain_json(value, default)
    assert result == expected
    assert json.dumps(result) == json.dumps(expected)  # same types, key order and list order
    assert type(result) is type(expected)


def test_nan_and_infinities_come_back_as_floats() -> None:
    result = plain_json([float("nan"), float("inf"), -math.inf, Ratio("nan")])
    assert math.isnan(result[0]) and math.isnan(result[3])
    assert result[1:3] == [math.inf, -math.inf]
    assert all(type(x) is float for x in result)


def test_containers_are_new_and_scalars_shared() -> None:
    inner = {"a": [1, 2]}
    value = {"inner": inner, "text": "shared"}
    result = plain_json(value)
    assert result["inner"] is not inner and result["inner"]["a"] is not inner["a"]
    assert result["text"] is value["text"]
    result["inner"]["a"].append(3)
    assert inner == {"a": [1, 2]}


def test_errors_are_those_of_json_dumps() -> None:
    for bad in ({(1, 2): "tuple key"}, [object()], {"cycle": None}):
        if "cycle" in bad:
            bad["cycle"] = bad
        with pytest.raises((TypeError, ValueError)) as theirs:
            round_trip(bad, None)
        with pytest.raises(type(theirs.value), match=str(theirs.value).replace("(", r"\(").replace(")", r"\)")):
            plain_json(bad)
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="Circular reference detected"):
        plain_json(cyclic, default)
    # `default` returning its own argument is a cycle too.
    with pytest.raises(ValueError, match="Circular reference detected"):
        plain_json(object(), lambda value: value)
    # An exception from `default` reaches the caller unchanged.
    with pytest.raises(TypeError, match="cannot serialize object"):
        plain_json({"x": object()}, default)


def test_a_shared_list_is_not_a_cycle() -> None:
    shared = [1]
    assert plain_json([shared, shared, {"again": shared}]) == [[1], [1], {"again": [1]}]


def test_deep_nesting_raises_recursion_error() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(RecursionError):
        plain_json(deep)


def test_a_flat_dict_comes_back_as_a_new_equal_dict() -> None:
    value = {"a": 1, "b": "two", "c": None, "d": 2.5, "e": True}
    result = plain_json(value)
    assert result == value and result is not value
    assert list(result) == list(value)


def test_a_default_that_changes_the_dict_gives_what_the_round_trip_gives() -> None:
    def case() -> tuple[dict[str, Any], Callable[[Any], Any]]:
        value: dict[str, Any] = {"a": 1, "odd": object(), "z": "last"}

        def hook(obj: Any) -> Any:
            value["a"] = 2  # the encoder works from the items it read before calling `default`
            value["added"] = 3
            return "converted"

        return value, hook

    expected_value, expected_hook = case()
    expected = round_trip(expected_value, expected_hook)
    value, hook = case()
    result = plain_json(value, hook)
    assert result == expected == {"a": 1, "odd": "converted", "z": "last"}
    assert list(result) == list(expected)
