"""XComArg: a reference to a task's XCom, used as an argument to create data dependencies.

`producer() >> consumer()`-style code and `consumer(producer())` both make `producer` upstream of `consumer`.
At run time an XComArg resolves to the XCom value it points at (through `context["ti"].xcom_pull`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from riir_airflow.authoring.node import DependencyMixin
from riir_airflow.authoring.notset import NOTSET
from riir_airflow.exceptions import AirflowException, XComNotFound

if TYPE_CHECKING:
    from riir_airflow.authoring.edges import EdgeModifier

XCOM_RETURN_KEY = "return_value"


class XComArg(DependencyMixin):
    """Base class; `XComArg(op)` / `XComArg(op, key)` builds a plain reference to one XCom of a task."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is XComArg:
            return PlainXComArg(*args, **kwargs)
        return super().__new__(cls)

    @staticmethod
    def iter_xcom_references(arg: Any) -> Iterator[tuple[Any, str]]:
        """Every (operator, key) referenced anywhere inside a nested list/tuple/set/dict value."""
        if isinstance(arg, (XComArg,)):
            yield from arg.iter_references()
        elif isinstance(arg, (tuple, set, list)):
            for item in arg:
                yield from XComArg.iter_xcom_references(item)
        elif isinstance(arg, dict):
            for item in arg.values():
                yield from XComArg.iter_xcom_references(item)
        elif hasattr(arg, "iter_references") and not isinstance(arg, type):
            yield from arg.iter_references()

    @staticmethod
    def apply_upstream_relationship(op: Any, arg: Any) -> None:
        for operator, _ in XComArg.iter_xcom_references(arg):
            op.set_upstream(operator)

    @property
    def roots(self) -> list[Any]:
        return [op for op, _ in self.iter_references()]

    @property
    def leaves(self) -> list[Any]:
        return [op for op, _ in self.iter_references()]

    def set_upstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None:
        for operator, _ in self.iter_references():
            operator.set_upstream(other, edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None:
        for operator, _ in self.iter_references():
            operator.set_downstream(other, edge_modifier)

    def __deepcopy__(self, memo: dict[int, Any]) -> XComArg:
        # A reference to another task's output; copying a task that holds one must not copy that task.
        return self

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(f"{type(self).__name__!r} object is not iterable")

    def map(self, f: Callable[[Any], Any]) -> MapXComArg:
        return MapXComArg(self, [f])

    def zip(self, *others: XComArg, fillvalue: Any = NOTSET) -> ZipXComArg:
        return ZipXComArg([self, *others], fillvalue=fillvalue)

    def concat(self, *others: XComArg) -> ConcatXComArg:
        return ConcatXComArg([self, *others])

    def resolve(self, context: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def as_setup(self) -> DependencyMixin:
        for operator, _ in self.iter_references():
            operator.is_setup = True
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> DependencyMixin:
        for operator, _ in self.iter_references():
            operator.as_teardown(setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self

    def __enter__(self) -> Any:
        from riir_airflow.authoring.setup_teardown import SetupTeardownScope

        return SetupTeardownScope.enter([op for op, _ in self.iter_references()], error=AirflowException)

    def __exit__(self, *exc: object) -> None:
        from riir_airflow.authoring.setup_teardown import SetupTeardownScope

        SetupTeardownScope.exit()


class PlainXComArg(XComArg):
    """One XCom (by key) of one task; for mapped tasks it resolves to the values of every map index."""

    def __init__(self, operator: Any, key: str = XCOM_RETURN_KEY) -> None:
        self.operator = operator
        self.key = key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PlainXComArg):
            return NotImplemented
        return self.operator is other.operator and self.key == other.key

    __hash__ = object.__hash__

    def __getitem__(self, item: str) -> PlainXComArg:
        if not isinstance(item, str):
            raise ValueError(f"XComArg only supports str lookup, received {type(item).__name__}")
        return PlainXComArg(operator=self.operator, key=item)

    def __str__(self) -> str:
        # Airflow renders an XComArg used inside a string template as a xcom_pull call.
        xcom_pull_kwargs = [f"task_ids='{self.operator.task_id}'", f"dag_id='{self.operator.dag_id}'"]
        if self.key is not None:
            xcom_pull_kwargs.append(f"key='{self.key}'")
        return "{{ task_instance.xcom_pull(" + ", ".join(xcom_pull_kwargs) + ") }}"

    def __repr__(self) -> str:
        if self.key == XCOM_RETURN_KEY:
            return f"XComArg({self.operator!r})"
        return f"XComArg({self.operator!r}, {self.key!r})"

    def iter_references(self) -> Iterator[tuple[Any, str]]:
        yield self.operator, self.key

    def map(self, f: Callable[[Any], Any]) -> MapXComArg:
        if self.key != XCOM_RETURN_KEY:
            raise ValueError("cannot map against non-return XCom")
        return super().map(f)

    def zip(self, *others: XComArg, fillvalue: Any = NOTSET) -> ZipXComArg:
        if self.key != XCOM_RETURN_KEY:
            raise ValueError("cannot map against non-return XCom")
        return super().zip(*others, fillvalue=fillvalue)

    def concat(self, *others: XComArg) -> ConcatXComArg:
        if self.key != XCOM_RETURN_KEY:
            raise ValueError("cannot concatenate non-return XCom")
        return super().concat(*others)

    def resolve(self, context: Mapping[str, Any]) -> Any:
        # The runtime task instance knows whether the producer is mapped (all values, in map index order) or
        # sits in the same mapped task group (the value of the same map index).
        ti = context["ti"]
        value = ti.pull_for_xcom_arg(self.operator.task_id, self.key)
        if value is NOTSET:
            raise XComNotFound(ti.dag_id, self.operator.task_id, self.key)
        return value


class _MapResult(Sequence[Any]):
    """The lazily mapped values of a MapXComArg."""

    def __init__(self, value: Sequence[Any] | dict[Any, Any], callables: list[Callable[[Any], Any]]) -> None:
        self.value = value
        self.callables = callables

    def __getitem__(self, index: Any) -> Any:
        value = self.value[index]
        for f in self.callables:
            value = f(value)
        return value

    def __len__(self) -> int:
        return len(self.value)


class MapXComArg(XComArg):
    """`arg.map(f)`: each item of the upstream value passed through f (lazily, at expansion time)."""

    def __init__(self, arg: XComArg, callables: list[Callable[[Any], Any]]) -> None:
        for c in callables:
            if getattr(c, "_airflow_is_task_decorator", False):
                raise ValueError("map() argument must be a plain function, not a @task operator")
        self.arg = arg
        self.callables = callables

    def __repr__(self) -> str:
        return f"{self.arg!r}.map([{len(self.callables)} functions])"

    def iter_references(self) -> Iterator[tuple[Any, str]]:
        yield from self.arg.iter_references()

    def map(self, f: Callable[[Any], Any]) -> MapXComArg:
        return MapXComArg(self.arg, [*self.callables, f])

    def resolve(self, context: Mapping[str, Any]) -> Any:
        value = self.arg.resolve(context)
        if not isinstance(value, (Sequence, dict)):
            raise ValueError(f"XCom map expects sequence or dict, not {type(value).__name__}")
        return _MapResult(value, self.callables)


class ZipXComArg(XComArg):
    """`a.zip(b, ...)`: tuples of the items at the same position."""

    def __init__(self, args: Sequence[XComArg], *, fillvalue: Any = NOTSET) -> None:
        if not args:
            raise ValueError("At least one input is required")
        self.args = args
        self.fillvalue = fillvalue

    def __repr__(self) -> str:
        return f"{self.args[0]!r}.zip(...)"

    def iter_references(self) -> Iterator[tuple[Any, str]]:
        for arg in self.args:
            yield from arg.iter_references()

    def resolve(self, context: Mapping[str, Any]) -> Any:
        values = [arg.resolve(context) for arg in self.args]
        for value in values:
            if not isinstance(value, (Sequence, dict)):
                raise ValueError(f"XCom zip expects sequence or dict, not {type(value).__name__}")
        if self.fillvalue is NOTSET:
            return list(zip(*values, strict=False))
        return list(itertools.zip_longest(*values, fillvalue=self.fillvalue))


class ConcatXComArg(XComArg):
    """`a.concat(b, ...)`: the items of each value, one after another."""

    def __init__(self, args: Sequence[XComArg]) -> None:
        if not args:
            raise ValueError("At least one input is required")
        self.args = args

    def __repr__(self) -> str:
        return f"{self.args[0]!r}.concat(...)"

    def iter_references(self) -> Iterator[tuple[Any, str]]:
        for arg in self.args:
            yield from arg.iter_references()

    def resolve(self, context: Mapping[str, Any]) -> Any:
        out: list[Any] = []
        for arg in self.args:
            value = arg.resolve(context)
            if not isinstance(value, (Sequence, dict)):
                raise ValueError(f"XCom concat expects sequence or dict, not {type(value).__name__}")
            out.extend(value)
        return out
