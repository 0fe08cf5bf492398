"""The NOTSET sentinel: 'no value given', distinct from None."""

from __future__ import annotations

from typing import Any, Final


class ArgNotSet:
    """Type of NOTSET."""

    _instance: ArgNotSet | None = None

    def __new__(cls) -> ArgNotSet:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOTSET"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> ArgNotSet:
        return self

    def __deepcopy__(self, memo: Any) -> ArgNotSet:
        return self


NOTSET: Final = ArgNotSet()


def is_arg_set(value: Any) -> bool:
    return not isinstance(value, ArgNotSet)


class SetDuringExecution(ArgNotSet):
    """Type of SET_DURING_EXECUTION: an argument whose value the operator computes while it runs."""

    _instance = None

    def __repr__(self) -> str:
        return "SET_DURING_EXECUTION"

    @staticmethod
    def serialize() -> str:
        return "DYNAMIC (set during execution)"


SET_DURING_EXECUTION: Final = SetDuringExecution()
