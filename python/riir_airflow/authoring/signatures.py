"""`inspect.signature` of plain functions, worked out once per function: a TaskFlow function's signature is read
at every call that creates a task (parse time) and at every try (which arguments it takes from the context)."""

from __future__ import annotations

import inspect
import types
import weakref
from collections.abc import Callable
from typing import Any

# function -> (what its signature is made of, the signature)
_SIGNATURES: weakref.WeakKeyDictionary[Callable[..., Any], tuple[tuple[Any, ...], inspect.Signature]] = (
    weakref.WeakKeyDictionary()
)


def signature_of(function: Callable[..., Any]) -> inspect.Signature:
    """`inspect.signature(function)`; for a plain function, remembered until its code, defaults or annotations are
    replaced. Anything else (a partial, a class, a wrapper naming `__wrapped__` or `__signature__`) is inspected each
    time, as its signature may depend on more than the object itself."""
    if type(function) is not types.FunctionType or "__wrapped__" in vars(function) or "__signature__" in vars(function):
        return inspect.signature(function)
    made_of = (function.__code__, function.__defaults__, function.__kwdefaults__, function.__annotations__)
    known = _SIGNATURES.get(function)
    if known is None or any(a is not b for a, b in zip(known[0], made_of, strict=True)):
        known = _SIGNATURES[function] = (made_of, inspect.signature(function))
    return known[1]


def required_parameter_names(function: Callable[..., Any]) -> tuple[str, ...] | None:
    """The names of the parameters of a plain function without a default (what `signature_of(function)` shows
    with no default and not `*args`/`**kwargs`), read off its code object without building the signature; None for
    anything else (see `signature_of`)."""
    if type(function) is not types.FunctionType or "__wrapped__" in vars(function) or "__signature__" in vars(function):
        return None
    code = function.__code__
    positional = code.co_varnames[: code.co_argcount]
    keyword_only = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    with_default = len(function.__defaults__ or ())
    keyword_defaults = function.__kwdefaults__ or {}
    return (
        *positional[: len(positional) - with_default],
        *(name for name in keyword_only if name not in keyword_defaults),
    )
