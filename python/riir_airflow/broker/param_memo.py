"""Remembers, per declared parameter, what FastAPI works out again on every request from the declaration alone.

FastAPI (0.16x) reads each query parameter of a request through helpers that depend only on the parameter's field:
whether it is a model (`_get_param_model`), its aliases (`_get_param_aliases`), whether its annotation is a
sequence (`field_annotation_is_sequence`) or JSON (`_is_json_field`). For a list endpoint with ~30 parameters that
was ~10 % of the broker's CPU per request. Likewise each dependency's cache key (`_get_cache_key`: its callable, the
OAuth scopes of it and its parents, its scope), worked out again for every dependency of every request, and whether
each dependency's callable is a generator, an async generator or a coroutine function (FastAPI keeps those in an
lru_cache keyed by a wrapper object it builds on every call). Fields, dependants and callables live as long as their
routes, so their answers are kept by their identity (the object itself is held too, so that an identity is never
reused). Helpers a FastAPI version lacks are left as they are: the answers
are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ORIGINALS: dict[str, Callable[..., Any]] = {}  # the helpers replaced, by name
KEPT_PER_HELPER = 100_000  # one app has a few thousand fields and callables


def _per_identity(function: Callable[..., Any]) -> Callable[..., Any]:
    known: dict[int, tuple[Any, Any]] = {}

    def remembered(value: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:  # a call this memo was not written for (another FastAPI's signature): not remembered
            return function(value, *args, **kwargs)
        hit = known.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        result = function(value)
        if len(known) >= KEPT_PER_HELPER:
            known.clear()  # only reached when apps are built again and again (tests): a clear keeps it bounded
        known[id(value)] = (value, result)
        return result

    return remembered


def _aliases_per_identity(function: Callable[..., list[tuple[str, str]]]) -> Callable[..., list[tuple[str, str]]]:
    known: dict[tuple[int, bool], tuple[Any, tuple[tuple[str, str], ...]]] = {}

    def remembered(field: Any, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        convert_underscores = kwargs.get("convert_underscores", False)
        if args or set(kwargs) - {"convert_underscores"} or not isinstance(convert_underscores, bool):
            return function(field, *args, **kwargs)  # not a call this memo was written for: not remembered
        key = (id(field), convert_underscores)
        hit = known.get(key)
        if hit is None or hit[0] is not field:
            hit = (field, tuple(function(field, **kwargs)))
            known[key] = hit
        return list(hit[1])  # a fresh list, as the helper returns: callers may keep or change it

    return remembered


def _cache_key_per_dependant(function: Callable[..., Any]) -> Callable[..., Any]:
    known: dict[int, tuple[Any, Any, Any]] = {}

    def remembered(*args: Any, **kwargs: Any) -> Any:
        dependant = kwargs.get("dependant")
        if args or dependant is None or set(kwargs) - {"dependant", "uses_scopes_cache"}:
            return function(*args, **kwargs)  # not a call this memo was written for: not remembered
        hit = known.get(id(dependant))
        # FastAPI assigns `call` again on every request (the same callable); another one is another key
        if hit is None or hit[0] is not dependant or hit[1] is not dependant.call:
            hit = (dependant, dependant.call, function(**kwargs))
            known[id(dependant)] = hit
        return hit[2]

    return remembered


def install() -> None:
    """Once per process, before the first request."""
    if ORIGINALS:
        return
    from fastapi.dependencies import utils

    for name, remember in (("_get_param_model", _per_identity), ("_is_json_field", _per_identity),
                           ("field_annotation_is_sequence", _per_identity),
                           ("_get_param_aliases", _aliases_per_identity),
                           ("_get_cache_key", _cache_key_per_dependant),
                           ("_is_gen_callable", _per_identity), ("_is_async_gen_callable", _per_identity),
                           ("_is_coroutine_callable", _per_identity)):  # fmt: skip
        original = getattr(utils, name, None)
        if callable(original):
            ORIGINALS[name] = original
            setattr(utils, name, remember(original))
