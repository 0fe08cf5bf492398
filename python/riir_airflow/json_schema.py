"""A small JSON Schema validator for Param schemas (dependency-free: authoring code and the broker both use it).

It covers the keywords Airflow users put in `Param(...)` (type, enum, const, numeric and length bounds, pattern,
format, items, properties/required/additionalProperties, anyOf/oneOf/allOf/not). Messages follow jsonschema's
wording so users see what Airflow would show them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any


class SchemaError(ValueError):
    """A value does not match its schema."""


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict, Mapping),
    "array": (list, tuple),
    "null": (type(None),),
}


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(name, (object,)))


def _check_format(value: Any, fmt: str) -> bool:
    if not isinstance(value, str):
        return True
    try:
        if fmt == "date":
            dt.date.fromisoformat(value)
        elif fmt == "date-time":
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return "T" in value or " " in value
        elif fmt == "time":
            dt.time.fromisoformat(value.replace("Z", "+00:00"))
        elif fmt == "email":
            return re.fullmatch(r"[^@\s]+@[^@\s]+", value) is not None
    except ValueError:
        return False
    return True


def validate(value: Any, schema: Mapping[str, Any]) -> None:
    """Raises SchemaError describing the first mismatch."""
    if not isinstance(schema, Mapping):
        return
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is_type(value, k) for k in kinds):
            shown = kind if isinstance(kind, str) else kinds
            raise SchemaError(f"{value!r} is not of type {shown!r}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError(f"{value!r} is not one of {list(schema['enum'])!r}")
    if "const" in schema and value != schema["const"]:
        raise SchemaError(f"{schema['const']!r} was expected")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(value, schema)
    if isinstance(value, str):
        _check_string(value, schema)
    if isinstance(value, (list, tuple)):
        _check_array(list(value), schema)
    if isinstance(value, Mapping):
        _check_object(value, schema)
    _check_combinators(value, schema)


def _check_number(value: float, schema: Mapping[str, Any]) -> None:
    if "minimum" in schema and value < schema["minimum"]:
        raise SchemaError(f"{value!r} is less than the minimum of {schema['minimum']!r}")
    if "maximum" in schema and value > schema["maximum"]:
        raise SchemaError(f"{value!r} is greater than the maximum of {schema['maximum']!r}")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        raise SchemaError(f"{value!r} is less than or equal to the minimum of {schema['exclusiveMinimum']!r}")
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        raise SchemaError(f"{value!r} is greater than or equal to the maximum of {schema['exclusiveMaximum']!r}")
    if "multipleOf" in schema and (value / schema["multipleOf"]) % 1:
        raise SchemaError(f"{value!r} is not a multiple of {schema['multipleOf']!r}")


def _check_string(value: str, schema: Mapping[str, Any]) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        raise SchemaError(f"{value!r} is too short")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise SchemaError(f"{value!r} is too long")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise SchemaError(f"{value!r} does not match {schema['pattern']!r}")
    if "format" in schema and not _check_format(value, schema["format"]):
        raise SchemaError(f"{value!r} is not a {schema['format']!r}")


def _check_array(value: list[Any], schema: Mapping[str, Any]) -> None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        raise SchemaError(f"{value!r} should be non-empty" if schema["minItems"] == 1 else f"{value!r} is too short")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise SchemaError(f"{value!r} is too long")
    if schema.get("uniqueItems"):
        seen: list[Any] = []
        for item in value:
            if item in seen:
                raise SchemaError(f"{value!r} has non-unique elements")
            seen.append(item)
    items = schema.get("items")
    if isinstance(items, Mapping):
        for item in value:
            validate(item, items)


def _check_object(value: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    for key in schema.get("required", []):
        if key not in value:
            raise SchemaError(f"{key!r} is a required property")
    props = schema.get("properties", {})
    for key, sub in props.items():
        if key in value:
            validate(value[key], sub)
    extra = schema.get("additionalProperties", True)
    unknown = [k for k in value if k not in props]
    if extra is False and unknown:
        raise SchemaError(f"Additional properties are not allowed ({', '.join(map(repr, unknown))} were unexpected)")
    if isinstance(extra, Mapping):
        for key in unknown:
            validate(value[key], extra)


def _check_combinators(value: Any, schema: Mapping[str, Any]) -> None:
    def ok(sub: Mapping[str, Any]) -> bool:
        try:
            validate(value, sub)
        except SchemaError:
            return False
        return True

    if "allOf" in schema:
        for sub in schema["allOf"]:
            validate(value, sub)
    if "anyOf" in schema and not any(ok(s) for s in schema["anyOf"]):
        raise SchemaError(f"{value!r} is not valid under any of the given schemas")
    if "oneOf" in schema and sum(ok(s) for s in schema["oneOf"]) != 1:
        raise SchemaError(f"{value!r} is not valid under exactly one of the given schemas")
    if "not" in schema and ok(schema["not"]):
        raise SchemaError(f"{value!r} should not be valid under {schema['not']!r}")
