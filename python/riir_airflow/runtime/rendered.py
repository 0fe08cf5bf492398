"""Rendered template fields as stored for the UI: JSON-safe, deterministic, secrets masked, long values cut."""

from __future__ import annotations

import inspect
from typing import Any

from riir_airflow.secrets_masker import redact

MAX_TEMPLATED_FIELD_LENGTH = 4096  # [core] max_templated_field_length


def _qualname(obj: Any) -> str:
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(type(obj), "__qualname__", repr(obj))
    return f"{module}.{name}" if module else str(name)


def _serialize(obj: Any) -> Any:
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, dict):
        pairs = [(str(_serialize(k)), _serialize(v)) for k, v in obj.items()]
        return dict(sorted(pairs, key=lambda kv: kv[0]))
    if isinstance(obj, (list, tuple)):
        return [_serialize(item) for item in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((_serialize(e) for e in obj), key=lambda x: (type(x).__name__, str(x)))
    if callable(inspect.getattr_static(obj, "serialize", None)):
        return _serialize(obj.serialize())
    if callable(obj):
        return f"<callable {_qualname(obj)}>"
    if type(obj).__str__ is not object.__str__ or type(obj).__repr__ is not object.__repr__:  # type: ignore[comparison-overlap]
        return str(obj)
    return f"<{_qualname(type(obj))} object>"


def serialize_template_field(value: Any, name: str) -> Any:
    serialized = _serialize(value)
    if len(str(serialized)) > MAX_TEMPLATED_FIELD_LENGTH:
        text = str(redact(serialized, name))
        prefix = "Truncated. You can change this behaviour in [core]max_templated_field_length. "
        return f"{prefix}{text[: MAX_TEMPLATED_FIELD_LENGTH - len(prefix)]}... "
    return serialized


def serialize_rendered_fields(task: Any) -> dict[str, Any]:
    """Every template field of a rendered task, as Airflow stores it in rendered_task_instance_fields."""
    fields: dict[str, Any] = {}
    for name in task.template_fields:
        fields[name] = redact(serialize_template_field(getattr(task, name), name), name)
    for path in getattr(task, "template_fields_renderers", {}):
        if "." not in path:
            continue
        base, _, rest = path.partition(".")
        if base not in task.template_fields:
            continue
        current = getattr(task, base, None)
        for key in rest.split("."):
            if current is None:
                break
            current = current.get(key) if isinstance(current, dict) else getattr(current, key, None)
        if current is not None:
            fields[path] = redact(serialize_template_field(current, path), path)
    return fields
