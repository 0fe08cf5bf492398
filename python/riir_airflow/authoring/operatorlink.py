"""`BaseOperatorLink`: an extra link shown on a task in the UI (e.g. to the external job it started)."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, ClassVar


class BaseOperatorLink(metaclass=ABCMeta):
    """Subclasses give a `name` (the button label) and `get_link(operator, *, ti_key)`."""

    operators: ClassVar[list[type[Any]]] = []

    @property
    @abstractmethod
    def name(self) -> str:
        """The button label."""

    @property
    def xcom_key(self) -> str:
        """The XCom key under which a task may store the whole link."""
        return f"_link_{type(self).__name__}"

    @abstractmethod
    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        """The URL for this task instance."""

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(self.__dict__.items(), key=lambda kv: kv[0]))))
