"""Airflow's small helper functions that provider code imports from `airflow.utils.*` (found by surveying the
provider wheels): same names, signatures and results as Airflow 3.3's."""

from __future__ import annotations

import getpass
import hashlib
import itertools
import os
import random
import re
import string
from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar

from riir_airflow.exceptions import AirflowException

T = TypeVar("T")
KEY_REGEX = re.compile(r"^[\w.-]+$")


def validate_key(k: str, max_length: int = 250) -> None:
    """Raises when `k` is not a valid Airflow key (letters, digits, `_`, `-`, `.`; at most `max_length` long)."""
    if not isinstance(k, str):
        raise TypeError(f"The key has to be a string and is {type(k)}:{k}")
    if len(k) > max_length:
        raise AirflowException(f"The key has to be less than {max_length} characters")
    if not KEY_REGEX.match(k):
        raise AirflowException(
            f"The key {k!r} has to be made of alphanumeric characters, dashes, dots and underscores exclusively"
        )


def is_container(obj: Any) -> bool:
    return hasattr(obj, "__iter__") and not isinstance(obj, str)


def chunks(items: list[T], chunk_size: int) -> Generator[list[T], None, None]:
    if chunk_size <= 0:
        raise ValueError("Chunk size must be a positive integer")
    for i in range(0, len(items), chunk_size):
        yield items[i : i + chunk_size]


def as_flattened_list(iterable: Iterable[Iterable[T]]) -> list[T]:
    return [e for i in iterable for e in i]


def convert_camel_to_snake(camel_str: str) -> str:
    return re.sub("(?!^)([A-Z]+)", r"_\1", camel_str).lower()


def merge_dicts(dict1: dict[Any, Any], dict2: dict[Any, Any]) -> dict[Any, Any]:
    """Recursively merges two dicts; values of `dict2` win."""
    merged = dict1.copy()
    for k, v in dict2.items():
        if k in dict1 and isinstance(v, dict) and isinstance(dict1[k], dict):
            merged[k] = merge_dicts(dict1[k], v)
        else:
            merged[k] = v
    return merged


def partition(pred: Callable[[T], bool], iterable: Iterable[T]) -> tuple[Iterable[T], Iterable[T]]:
    iter_1, iter_2 = itertools.tee(iterable)
    return itertools.filterfalse(pred, iter_1), filter(pred, iter_2)


def exactly_one(*args: Any) -> bool:
    """True if exactly one of the arguments is truthy."""
    if set(args) - {True, False}:
        raise ValueError(f"Not supported for iterable args {args}. Use `*` to unpack your iterable.")
    return sum(map(bool, args)) == 1


def at_most_one(*args: Any) -> bool:
    """True if at most one of the arguments is truthy (NOTSET counts as unset)."""
    from riir_airflow.authoring.notset import ArgNotSet

    return sum(1 for a in args if a and not isinstance(a, ArgNotSet)) in (0, 1)


def prune_dict(val: Any, mode: str = "strict") -> Any:
    """Drops None values (mode "strict") or all falsy values except 0/False ("truthy") from nested dicts/lists."""

    def is_empty(x: Any) -> bool:
        if mode == "strict":
            return x is None
        if mode == "truthy":
            return x is not False and x != 0 and not bool(x)
        raise ValueError("allowable values for `mode` include 'truthy' and 'strict'")

    if isinstance(val, dict):
        new_dict = {}
        for k, v in val.items():
            if is_empty(v):
                continue
            if isinstance(v, (list, dict)):
                new_val = prune_dict(v, mode=mode)
                if not is_empty(new_val):
                    new_dict[k] = new_val
            else:
                new_dict[k] = v
        return new_dict
    if isinstance(val, list):
        new_list = []
        for v in val:
            if is_empty(v):
                continue
            if isinstance(v, (list, dict)):
                new_val = prune_dict(v, mode=mode)
                if not is_empty(new_val):
                    new_list.append(new_val)
            else:
                new_list.append(v)
        return new_list
    return val


def getuser() -> str:
    """The current user's name; falls back to the uid when the system has no name for it (containers)."""
    try:
        return getpass.getuser()
    except KeyError:
        return str(os.getuid())


def to_boolean(astring: str | None) -> bool:
    if astring is None:
        return False
    return astring.lower() in ["t", "true", "y", "yes", "1"]


def get_random_string(length: int = 8, choices: str = string.ascii_letters + string.digits) -> str:
    return "".join(random.SystemRandom().choice(choices) for _ in range(length))


def md5(__string: bytes = b"") -> Any:
    """hashlib.md5 marked as not used for security (FIPS-enabled systems refuse it otherwise)."""
    return hashlib.md5(__string, usedforsecurity=False)


def correct_maybe_zipped(fileloc: str) -> str:
    """The path of the zip file when `fileloc` points inside one, else `fileloc`."""
    head, tail = os.path.split(fileloc)
    while head and tail and not os.path.isfile(head):
        head, tail = os.path.split(head)
    if head and tail and head.endswith(".zip"):
        return head
    return fileloc
