"""Dynamic task mapping declarations: `Op.partial(...).expand(...)`, `expand_kwargs`, and the mapped operator.

A MappedOperator is one node in the DAG; at run time it becomes one task instance per element of its expansion
input (`map_index` 0..n-1). `unmap()` builds the real operator for one map index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from riir_airflow.authoring.baseoperator import (
    DEFAULT_OWNER,
    DEFAULT_POOL_NAME,
    DEFAULT_QUEUE,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_DELAY,
    BaseOperator,
    empty_operator_class,
    merged_defaults,
    parse_retry_delay,
)
from riir_airflow.authoring.context_stack import DagContext, TaskGroupContext
from riir_airflow.authoring.node import TaskNode, validate_key
from riir_airflow.authoring.notset import NOTSET
from riir_airflow.authoring.trigger_rule import TriggerRule, WeightRule
from riir_airflow.exceptions import UnmappableXComTypePushed

MAPPABLE_TYPES = (list, tuple, dict)


def _is_reference(value: Any) -> bool:
    return hasattr(value, "iter_references") and hasattr(value, "resolve")


def validate_mapping_values(func: str, kwargs: Mapping[str, Any]) -> None:
    """Each expanded value must be a list, dict or a reference resolved at run time."""
    for name, value in kwargs.items():
        if not isinstance(value, MAPPABLE_TYPES) and not _is_reference(value):
            raise ValueError(f"{func}() got an unexpected type {type(value).__name__!r} for keyword argument {name!r}")


def _param_names(operator_class: type) -> set[str]:
    names: set[str] = set()
    for klass in operator_class.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None:
            names.update(getattr(init, "_riir_param_names", ()))
    return names


def _resolve(value: Any, context: Mapping[str, Any]) -> Any:
    return value.resolve(context) if _is_reference(value) else value


def _check_mappable(value: Any, task_id: str) -> Sequence[Any] | Mapping[Any, Any]:
    if isinstance(value, (list, tuple, dict)) or (isinstance(value, Sequence) and not isinstance(value, str)):
        return value
    raise UnmappableXComTypePushed(value)


class DictOfListsExpandInput:
    """`expand(a=[...], b=[...])`: the cross product of the values, the last argument varying fastest."""

    def __init__(self, value: Mapping[str, Any]) -> None:
        self.value = dict(value)

    def resolved(self, context: Mapping[str, Any]) -> dict[str, Sequence[Any] | Mapping[Any, Any]]:
        return {k: _check_mappable(_resolve(v, context), k) for k, v in self.value.items()}

    def total_length(self, context: Mapping[str, Any]) -> int:
        lengths = [len(v) for v in self.resolved(context).values()]
        total = 1
        for n in lengths:
            total *= n
        return total

    def resolve_for_index(self, context: Mapping[str, Any], map_index: int) -> dict[str, Any]:
        values = self.resolved(context)
        out: dict[str, Any] = {}
        index = map_index
        for key in reversed(list(values)):
            items = values[key]
            size = len(items)
            position = index % size
            index //= size
            out[key] = list(items.items())[position] if isinstance(items, Mapping) else items[position]
        return {k: out[k] for k in values}


class ListOfDictsExpandInput:
    """`expand_kwargs([...])`: one mapped copy per dict in the list."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def resolved(self, context: Mapping[str, Any]) -> Sequence[Any]:
        value = _resolve(self.value, context)
        return _check_mappable(value, "expand_kwargs")  # type: ignore[return-value]

    def total_length(self, context: Mapping[str, Any]) -> int:
        return len(self.resolved(context))

    def resolve_for_index(self, context: Mapping[str, Any], map_index: int) -> dict[str, Any]:
        item = self.resolved(context)[map_index]
        item = _resolve(item, context)
        if not isinstance(item, Mapping):
            raise ValueError(f"expand_kwargs() input dict keys must all be str, but {item!r} is not a dict")
        return {k: _resolve(v, context) for k, v in item.items()}


class OperatorPartial:
    """`Op.partial(**kwargs)`: arguments shared by all mapped copies, waiting for `.expand()`."""

    def __init__(self, operator_class: type[BaseOperator], kwargs: dict[str, Any]) -> None:
        if "task_id" not in kwargs:
            raise TypeError("partial() missing required keyword argument 'task_id'")
        self.operator_class = operator_class
        self.kwargs = kwargs
        self._expanded = False

    def expand(self, **mapped_kwargs: Any) -> MappedOperator:
        if not mapped_kwargs:
            raise TypeError("no arguments to expand against")
        names = _param_names(self.operator_class)
        for name in mapped_kwargs:
            if name not in names:
                raise TypeError(f"{self.operator_class.__name__}.expand() got an unexpected keyword argument {name!r}")
        validate_mapping_values("expand", mapped_kwargs)
        return self._build(DictOfListsExpandInput(mapped_kwargs))

    def expand_kwargs(self, kwargs: Any, *, strict: bool = True) -> MappedOperator:
        if isinstance(kwargs, Sequence) and not isinstance(kwargs, str):
            for item in kwargs:
                if not isinstance(item, Mapping) and not _is_reference(item):
                    raise TypeError(f"expected XComArg or list[dict], not {type(kwargs).__name__}")
        elif not _is_reference(kwargs):
            raise TypeError(f"expected XComArg or list[dict], not {type(kwargs).__name__}")
        return self._build(ListOfDictsExpandInput(kwargs))

    def _build(self, expand_input: Any) -> MappedOperator:
        self._expanded = True
        return MappedOperator.create(self.operator_class, dict(self.kwargs), expand_input)


class MappedOperator(TaskNode):
    """A task that runs once per element of its expansion input."""

    task_id: str
    start_date: Any
    end_date: Any
    operator_class: type[BaseOperator]
    partial_kwargs: dict[str, Any]
    params: Any
    expand_input: Any
    expand_into_op_kwargs: bool
    is_setup: bool
    is_teardown: bool
    on_failure_fail_dagrun: bool
    returns_dag_result: bool
    _task_type: str
    _operator_name: str

    def __init__(self) -> None:
        raise TypeError("MappedOperator is created through Operator.partial(...).expand(...)")

    @classmethod
    def create(
        cls,
        operator_class: type[BaseOperator],
        partial_kwargs: dict[str, Any],
        expand_input: Any,
        *,
        expand_into_op_kwargs: bool = False,
        task_type: str | None = None,
        operator_name: str | None = None,
    ) -> MappedOperator:
        self = object.__new__(cls)
        dag = partial_kwargs.pop("dag", None) or DagContext.get_current()
        task_group = partial_kwargs.pop("task_group", None)
        if dag is not None and task_group is None:
            task_group = TaskGroupContext.get_current(dag)
        default_args, params = merged_defaults(
            dag, task_group, partial_kwargs.pop("params", None), partial_kwargs.pop("default_args", None)
        )
        names = _param_names(operator_class)
        for name, value in default_args.items():
            if name in names and name not in partial_kwargs:
                partial_kwargs[name] = value
        task_id = partial_kwargs.pop("task_id")
        self.operator_class = operator_class
        self.partial_kwargs = partial_kwargs
        self.params = params
        self.expand_input = expand_input
        self.expand_into_op_kwargs = expand_into_op_kwargs
        self._task_type = task_type or operator_class.__name__
        self._operator_name = operator_name or getattr(operator_class, "custom_operator_name", None) or self._task_type
        self.upstream_task_ids = set()
        self.downstream_task_ids = set()
        self.dag = None
        self.task_group = None
        self.start_date = partial_kwargs.get("start_date")
        self.end_date = partial_kwargs.get("end_date")
        self.task_id = task_group.child_id(task_id) if task_group is not None else task_id
        validate_key(self.task_id)
        self.is_setup = False
        self.is_teardown = False
        self.on_failure_fail_dagrun = False
        self.returns_dag_result = False
        trigger_rule = partial_kwargs.get("trigger_rule", TriggerRule.ALL_SUCCESS)
        if not TriggerRule.is_valid(str(getattr(trigger_rule, "value", trigger_rule))):
            raise ValueError(
                f"The trigger_rule must be one of {[rule.value for rule in TriggerRule]},"
                f"'{dag.dag_id if dag else ''}.{task_id}'; received '{trigger_rule}'."
            )
        if task_group is not None:
            task_group.add(self)
        if dag is not None:
            dag.add_task(self)
        # Upstream dependencies from XComArgs anywhere in the arguments.
        from riir_airflow.authoring.xcom_arg import XComArg

        refs = [*partial_kwargs.values(), expand_input.value]
        for operator, _ in XComArg.iter_xcom_references(refs):
            self.set_upstream(operator)
        return self

    # --- what Airflow exposes on a mapped operator -------------------------------------------------------
    def __repr__(self) -> str:
        return f"<Mapped({self._task_type}): {self.task_id}>"

    __hash__ = object.__hash__

    @property
    def node_id(self) -> str:
        return self.task_id

    @property
    def is_mapped(self) -> bool:
        return True

    @property
    def task_type(self) -> str:
        return self._task_type

    @property
    def operator_name(self) -> str:
        return self._operator_name

    @property
    def dag_id(self) -> str:
        return self.dag.dag_id if self.dag is not None else "adhoc_airflow"

    @property
    def template_fields(self) -> Sequence[str]:
        return self.operator_class.template_fields

    @property
    def template_ext(self) -> Sequence[str]:
        return self.operator_class.template_ext

    def _kw(self, name: str, default: Any) -> Any:
        return self.partial_kwargs.get(name, default)

    @property
    def owner(self) -> str:
        return str(self._kw("owner", DEFAULT_OWNER))

    @property
    def trigger_rule(self) -> TriggerRule:
        return TriggerRule(self._kw("trigger_rule", TriggerRule.ALL_SUCCESS))

    @trigger_rule.setter
    def trigger_rule(self, value: str) -> None:
        self.partial_kwargs["trigger_rule"] = TriggerRule(value)

    @property
    def retries(self) -> int:
        return int(self._kw("retries", DEFAULT_RETRIES) or 0)

    @property
    def retry_delay(self) -> Any:
        return parse_retry_delay(self._kw("retry_delay", DEFAULT_RETRY_DELAY))

    @property
    def retry_exponential_backoff(self) -> float:
        return float(self._kw("retry_exponential_backoff", 0))

    @property
    def max_retry_delay(self) -> Any:
        value = self._kw("max_retry_delay", None)
        return None if value is None else parse_retry_delay(value)

    @property
    def execution_timeout(self) -> Any:
        return self._kw("execution_timeout", None)

    @property
    def pool(self) -> str:
        return str(self._kw("pool", None) or DEFAULT_POOL_NAME)

    @property
    def pool_slots(self) -> int:
        return int(self._kw("pool_slots", 1))

    @property
    def queue(self) -> str:
        return str(self._kw("queue", DEFAULT_QUEUE))

    @property
    def priority_weight(self) -> int:  # type: ignore[override]
        return int(self._kw("priority_weight", 1))

    @property
    def weight_rule(self) -> WeightRule:
        return WeightRule(self._kw("weight_rule", WeightRule.DOWNSTREAM))

    @property
    def wait_for_downstream(self) -> bool:
        return bool(self._kw("wait_for_downstream", False))

    @property
    def ignore_first_depends_on_past(self) -> bool:
        return bool(self._kw("ignore_first_depends_on_past", False))

    @property
    def email(self) -> Any:
        return self._kw("email", None)

    @property
    def depends_on_past(self) -> bool:
        return bool(self._kw("depends_on_past", False) or self._kw("wait_for_downstream", False))

    @property
    def max_active_tis_per_dag(self) -> int | None:
        return self._kw("max_active_tis_per_dag", None)  # type: ignore[no-any-return]

    @property
    def max_active_tis_per_dagrun(self) -> int | None:
        return self._kw("max_active_tis_per_dagrun", None)  # type: ignore[no-any-return]

    @property
    def map_index_template(self) -> str | None:
        return self._kw("map_index_template", None)  # type: ignore[no-any-return]

    @property
    def multiple_outputs(self) -> bool:
        return bool(self._kw("multiple_outputs", False))

    @property
    def do_xcom_push(self) -> bool:
        return bool(self._kw("do_xcom_push", True))

    @property
    def inlets(self) -> list[Any]:
        return list(self._kw("inlets", None) or [])

    @property
    def outlets(self) -> list[Any]:
        return list(self._kw("outlets", None) or [])

    @property
    def doc_md(self) -> str | None:
        return self._kw("doc_md", None)  # type: ignore[no-any-return]

    @property
    def cache(self) -> str | None:
        return self._kw("cache", None)  # type: ignore[no-any-return]

    @property
    def task_display_name(self) -> str:
        return str(self._kw("task_display_name", None) or self.task_id)

    def _callbacks(self, name: str) -> list[Any]:
        from riir_airflow.authoring.baseoperator import collect_callbacks

        return collect_callbacks(self._kw(name, None))

    @property
    def on_execute_callback(self) -> list[Any]:
        return self._callbacks("on_execute_callback")

    @property
    def on_failure_callback(self) -> list[Any]:
        return self._callbacks("on_failure_callback")

    @property
    def on_success_callback(self) -> list[Any]:
        return self._callbacks("on_success_callback")

    @property
    def on_retry_callback(self) -> list[Any]:
        return self._callbacks("on_retry_callback")

    @property
    def on_skipped_callback(self) -> list[Any]:
        return self._callbacks("on_skipped_callback")

    @property
    def inherits_from_empty_operator(self) -> bool:
        return issubclass(self.operator_class, empty_operator_class())

    def as_setup(self) -> MappedOperator:
        self.is_setup = True
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> MappedOperator:
        self.is_teardown = True
        self.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        return self

    # --- run time --------------------------------------------------------------------------------------------
    def total_map_length(self, context: Mapping[str, Any]) -> int:
        return int(self.expand_input.total_length(context))

    def unmap(self, context: Mapping[str, Any], map_index: int) -> BaseOperator:
        """The real operator for one map index, with the mapped arguments filled in."""
        mapped = self.expand_input.resolve_for_index(context, map_index)
        kwargs = dict(self.partial_kwargs)
        if isinstance(self.expand_input, ListOfDictsExpandInput) and not self.expand_into_op_kwargs:
            for name in mapped:
                if name in kwargs:
                    raise TypeError(f"unmappable or already specified argument: {name}")
        if self.expand_into_op_kwargs:
            kwargs["op_kwargs"] = {**kwargs.get("op_kwargs", {}), **mapped}
        else:
            kwargs.update(mapped)
        op = self.operator_class(
            task_id=self.task_id,
            params=self.params,
            _airflow_from_mapped=True,
            **{k: v for k, v in kwargs.items() if v is not NOTSET},
        )
        op.__dict__["_dag"] = self.dag  # the unmapped copy belongs to the DAG without being added to it
        op.task_group = self.task_group
        op.upstream_task_ids = set(self.upstream_task_ids)
        op.downstream_task_ids = set(self.downstream_task_ids)
        op.is_setup = self.is_setup
        op.is_teardown = self.is_teardown
        return op


class DecoratedMappedOperator(MappedOperator):
    """A mapped `@task`: the mapped values become keyword arguments of the function."""
