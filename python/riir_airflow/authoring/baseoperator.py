"""BaseOperator: the constructor every task shares, default_args merging, and chain helpers.

A metaclass wraps each operator class's `__init__` (as Airflow's does) so that the DAG and task group come from the
surrounding `with` blocks, `default_args` fill unspecified keyword arguments, params are merged, and XComArgs passed
as template field values become upstream dependencies.
"""

from __future__ import annotations

import abc
import collections.abc
import copy
import functools
import inspect
import itertools
import logging
import warnings
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from riir_airflow.authoring.context_stack import DagContext, TaskGroupContext
from riir_airflow.authoring.node import DependencyMixin, TaskNode, validate_key
from riir_airflow.authoring.params import ParamsDict
from riir_airflow.authoring.setup_teardown import SetupTeardownScope
from riir_airflow.authoring.trigger_rule import TriggerRule, WeightRule
from riir_airflow.exceptions import TaskDeferred

if TYPE_CHECKING:
    from riir_airflow.authoring.dag import DAG
    from riir_airflow.authoring.mapped import OperatorPartial
    from riir_airflow.authoring.taskgroup import TaskGroup

# Airflow's defaults for operator arguments ([operators] default_owner, [core] default_task_retries, ...).
DEFAULT_OWNER = "airflow"
DEFAULT_POOL_NAME = "default_pool"
DEFAULT_QUEUE = "default"
DEFAULT_RETRIES = 0
DEFAULT_RETRY_DELAY = timedelta(seconds=300)
MAX_RETRY_DELAY = timedelta(seconds=86400)
DEFAULT_PRIORITY_WEIGHT = 1
DB_SAFE_MINIMUM = -2147483648
DB_SAFE_MAXIMUM = 2147483647

# Types checked after construction, with Airflow's message.
ARGS_EXPECTED_TYPES: dict[str, type | tuple[type, ...]] = {
    "task_id": str,
    "email": (str, Sequence),
    "email_on_retry": bool,
    "email_on_failure": bool,
    "retries": int,
    "retry_exponential_backoff": (int, float),
    "depends_on_past": bool,
    "ignore_first_depends_on_past": bool,
    "wait_for_past_depends_before_skipping": bool,
    "wait_for_downstream": bool,
    "priority_weight": int,
    "queue": str,
    "pool": str,
    "pool_slots": int,
    "trigger_rule": str,
    "run_as_user": str,
    "map_index_template": str,
    "max_active_tis_per_dag": int,
    "max_active_tis_per_dagrun": int,
    "executor": str,
    "do_xcom_push": bool,
    "multiple_outputs": bool,
    "doc": str,
    "doc_md": str,
    "doc_json": str,
    "doc_yaml": str,
    "doc_rst": str,
    "task_display_name": str,
    "logger_name": str,
    "allow_nested_operators": bool,
}


CACHE_MODES = ("file",)


def check_cache_mode(cache: str | None, task_id: str) -> str | None:
    """`cache=` of a task: None (no memoization) or "file" (each try keyed by its input files, code and params)."""
    if cache is not None and cache not in CACHE_MODES:
        raise ValueError(f"task {task_id!r}: cache={cache!r} is not supported; use cache='file' or leave it unset")
    return cache


@functools.cache
def empty_operator_class() -> type[BaseOperator]:
    """EmptyOperator (imported on first use: its module imports this one)."""
    from riir_airflow.authoring.standard.empty import EmptyOperator

    return EmptyOperator


@functools.cache
def _xcom_arg_class() -> Any:
    """XComArg (imported on first use: its module imports this one; an import statement in the function that asks
    for it, once per operator, cost a look-up in the import system each time)."""
    from riir_airflow.authoring.xcom_arg import XComArg

    return XComArg


@functools.cache
def _mapped_operator_class() -> type:
    """MappedOperator (imported on first use: its module imports this one)."""
    from riir_airflow.authoring.mapped import MappedOperator

    return MappedOperator


def is_operator(obj: Any) -> bool:
    """True for tasks: plain operators and mapped operators."""
    # The class's MRO answers for every real operator class at C speed; `isinstance` against BaseOperator runs
    # ABCMeta.__instancecheck__ (Python code) on each call, and every dependency edge asks.
    return BaseOperator in type(obj).__mro__ or isinstance(obj, (BaseOperator, _mapped_operator_class()))


def collect_callbacks(value: Any) -> list[Any]:
    """A callback argument (None, one callable, or a collection) as a list."""
    if value is None:
        return []
    if isinstance(value, collections.abc.Collection) and not isinstance(value, (str, dict)):
        return list(value)
    return [value]


def parse_retry_delay(value: timedelta | float | int) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def merged_defaults(
    dag: DAG | None, task_group: TaskGroup | None, task_params: Any, task_default_args: Any
) -> tuple[dict[str, Any], ParamsDict]:
    """default_args of the DAG, then of the enclosing groups, then of the task; params merged the same way."""
    if dag is None:
        args: dict[str, Any] = {}
        params = ParamsDict()
    else:
        defaults = dag.default_args
        args = defaults.copy() if type(defaults) is dict else copy.copy(defaults)
        if dag.params:
            params = copy.deepcopy(dag.params)
            params.fill_missing_source("dag")
        else:  # what deep-copying no params gives, without the copy machinery (most DAGs have none)
            params = ParamsDict(suppress_exception=dag.params.suppress_exception)
        if task_group is not None and task_group.default_args:
            if not isinstance(task_group.default_args, collections.abc.Mapping):
                raise TypeError("default_args must be a mapping")
            args.update(task_group.default_args)
    if task_params:
        if not isinstance(task_params, collections.abc.Mapping):
            raise TypeError(f"params must be a mapping, got {type(task_params)}")
        own = ParamsDict(task_params)
        own.fill_missing_source("task")
        params.update(own)
    if task_default_args:
        if not isinstance(task_default_args, collections.abc.Mapping):
            raise TypeError(f"default_args must be a mapping, got {type(task_default_args)}")
        args.update(task_default_args)
        from_default_args = ParamsDict(task_default_args.get("params") or {})
        if from_default_args:
            params.update(from_default_args)
    return args, params


# What BaseOperator.__init__ sets through `_set_attributes`.
_INIT_ATTRIBUTES = (
    "upstream_task_ids",
    "downstream_task_ids",
    "task_id",
    "task_group",
    "owner",
    "email",
    "email_on_retry",
    "email_on_failure",
    "execution_timeout",
    "on_execute_callback",
    "on_failure_callback",
    "on_success_callback",
    "on_retry_callback",
    "on_skipped_callback",
    "_pre_execute_hook",
    "_post_execute_hook",
    "start_date",
    "end_date",
    "executor",
    "executor_config",
    "run_as_user",
    "retries",
    "queue",
    "pool",
    "pool_slots",
    "trigger_rule",
    "depends_on_past",
    "ignore_first_depends_on_past",
    "wait_for_past_depends_before_skipping",
    "wait_for_downstream",
    "retry_delay",
    "retry_exponential_backoff",
    "max_retry_delay",
    "retry_policy",
    "resources",
    "params",
    "priority_weight",
    "weight_rule",
    "max_active_tis_per_dag",
    "max_active_tis_per_dagrun",
    "do_xcom_push",
    "map_index_template",
    "multiple_outputs",
    "doc",
    "doc_md",
    "doc_json",
    "doc_yaml",
    "doc_rst",
    "_task_display_name",
    "_logger_name",
    "allow_nested_operators",
    "render_template_as_native_obj",
    "cache",
    "inlets",
    "outlets",
    "is_setup",
    "is_teardown",
    "on_failure_fail_dagrun",
    "returns_dag_result",
    "template_fields",
)

# The keys of the attributes BaseOperator.__init__ computes, in the order it stores them. Filling a copy of this
# dict costs half of building the same dict from a literal, which starts empty and grows (rehashing) four times
# on the way to sixty keys; every operator pays it.
_ATTRIBUTES_TEMPLATE: dict[str, Any] = dict.fromkeys(
    # all of them but the graph links and identity set before (the first four) and template_fields (the last)
    _INIT_ATTRIBUTES[4:-1]
)

# The type checks of ARGS_EXPECTED_TYPES over values BaseOperator.__init__ stores itself (None always passes), and
# over the others (properties, or names it does not set), read with getattr.
_STORED_CHECKED_VALUES = itemgetter(*(name for name in ARGS_EXPECTED_TYPES if name in _INIT_ATTRIBUTES))
_STORED_CHECKED_TYPES = tuple(
    (type(None), *(expected if isinstance(expected, tuple) else (expected,)))
    for name, expected in ARGS_EXPECTED_TYPES.items()
    if name in _INIT_ATTRIBUTES
)
_OTHER_CHECKED_TYPES = tuple(
    (name, (type(None), *(expected if isinstance(expected, tuple) else (expected,))))
    for name, expected in ARGS_EXPECTED_TYPES.items()
    if name not in _INIT_ATTRIBUTES
)
_OTHER_CHECKED_NAMES = tuple(name for name, _ in _OTHER_CHECKED_TYPES)
_ALL_CHECKED_TYPES = _STORED_CHECKED_TYPES + tuple(expected for _, expected in _OTHER_CHECKED_TYPES)
# The exact types of the checked values (in `_ALL_CHECKED_TYPES`' order) of operators that passed the check, when each
# type passes by itself (`issubclass`: then any value of that type passes `isinstance`, whatever its `__class__`
# says); nearly every operator repeats a combination seen before, and a tuple of types is hashed faster than thirty
# `isinstance` calls run. Bounded; only passes are remembered.
_PASSED_TYPE_COMBINATIONS: set[tuple[type, ...]] = set()
_MAX_PASSED_TYPE_COMBINATIONS = 256


def _plain_attribute_writes(cls: type, names: tuple[str, ...]) -> bool:
    """True when `setattr(op, name, value)` during construction only stores the value in `op.__dict__` for each of
    `names`: no class of `cls` other than BaseOperator defines `__setattr__` (whose own hook does nothing before
    construction ends), and none of those names is a data descriptor (a property) on `cls`. Computed once per class
    and set of names (the operator classes' own `_plain_writes` table, made by the metaclass)."""
    table: dict[tuple[str, ...], bool] = cls.__dict__.get("_plain_writes")  # type: ignore[assignment]
    if table is None:  # a class made without BaseOperatorMeta (e.g. by a mixin's own metaclass): ask each time
        table = {}
    known = table.get(names)
    if known is None:
        own_setattr = any("__setattr__" in vars(c) for c in cls.__mro__ if c is not BaseOperator and c is not object)
        descriptors = any(hasattr(type(_class_attribute(cls, name)), "__set__") for name in names)
        # `self.dag = None` stores `_dag` when `dag` is BaseOperator's own property
        own_dag = _class_attribute(cls, "dag") is vars(BaseOperator)["dag"]
        known = table[names] = own_dag and not (own_setattr or descriptors)
    return known


def _class_attribute(cls: type, name: str) -> Any:
    """What an instance of `cls` finds for `name` in its class (the first class of the MRO defining it; None): what
    `inspect.getattr_static` answers here, at a fraction of its cost — a mapped try constructs an operator of a class
    whose table the fork server never filled."""
    for klass in cls.__mro__:
        found = vars(klass).get(name, _MISSING)
        if found is not _MISSING:
            return found
    return None


_MISSING = object()


class _DefaultsPassedDown:
    """What the outermost `__init__` of an operator's class hierarchy worked out, for the `__init__`s it calls through
    `super().__init__(**kwargs)`: they receive the same DAG, group and merged `default_args` (and no params: with
    params, every level merges again), so merging again would only rebuild an equal dict. Lives in the instance's
    `__dict__` while the outermost `__init__` runs."""

    __slots__ = ("dag", "default_args", "task_group")

    def __init__(self, dag: DAG, task_group: TaskGroup | None, default_args: dict[str, Any]) -> None:
        self.dag = dag
        self.task_group = task_group
        self.default_args = default_args

    def apply_to(self, kwargs: dict[str, Any]) -> bool:
        """True when `kwargs` carry what was passed down, unchanged: merging them again gives the same result (the
        DAG's and the group's default_args add no key the passed-down ones lack)."""
        passed = kwargs.get("default_args")
        group = self.task_group
        return (
            passed is self.default_args
            and "params" not in kwargs
            and kwargs.get("dag") is self.dag
            and kwargs.get("task_group") is group
            and passed.keys() >= self.dag.default_args.keys()
            and (group is None or not group.default_args or passed.keys() >= group.default_args.keys())
        )


# Containers that refer to no task when empty (`XComArg.iter_xcom_references`; nor do None and plain strings).
_WITHOUT_REFERENCES_WHEN_EMPTY = frozenset({list, tuple, dict, set})


class BaseOperatorMeta(abc.ABCMeta):
    """Wraps every `__init__` an operator class defines with the default-arguments logic."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> Any:
        namespace.setdefault("_plain_writes", {})  # see `_plain_attribute_writes`
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        parent_init = cls.mro()[1].__init__  # type: ignore[misc]
        if cls.__init__ is not parent_init:  # type: ignore[misc]
            cls.__init__ = mcs._apply_defaults(cls.__init__)  # type: ignore[misc]
        return cls

    @staticmethod
    def _apply_defaults(func: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(func)
        named = {
            name: p
            for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        required = frozenset(n for n, p in named.items() if p.default is p.empty and n != "task_id")
        position = {name: index for index, name in enumerate(signature.parameters)}

        def fill_defaults(kwargs: dict[str, Any], default_args: dict[str, Any]) -> None:
            """default_args fill the parameters not given, in the signature's order; then every required one must
            be there."""
            filled = None
            for arg in default_args:
                if arg in position and arg not in kwargs:
                    if filled is None:
                        filled = [arg]
                    else:
                        filled.append(arg)
            if filled is not None:
                for arg in sorted(filled, key=position.__getitem__) if len(filled) > 1 else filled:
                    kwargs[arg] = default_args[arg]
            missing = required.difference(kwargs) if required else None
            if missing:
                if len(missing) == 1:
                    raise TypeError(f"missing keyword argument {next(iter(missing))!r}")
                raise TypeError(f"missing keyword arguments {', '.join(repr(a) for a in sorted(missing))}")

        @functools.wraps(func)
        def apply_defaults(self: BaseOperator, *args: Any, **kwargs: Any) -> None:
            if args:
                raise TypeError("Use keyword arguments when initializing operators")
            state = self.__dict__
            passed_down: _DefaultsPassedDown | None = state.get("_defaults_passed_down")
            if passed_down is not None and "_airflow_from_mapped" not in kwargs and passed_down.apply_to(kwargs):
                # An __init__ the outermost one calls with what it received: what the path below would do, minus
                # what the outermost did already (`_init_kwargs` made, `_from_mapped` set to what it stays).
                default_args = passed_down.default_args = dict(kwargs.pop("default_args"))
                fill_defaults(kwargs, default_args)
                func(self, **kwargs, default_args=default_args)
                self._init_kwargs.update(kwargs)
                if func is getattr(type(self).__init__, "__wrapped__", None) and not self._from_mapped:
                    self._set_xcomargs_dependencies()
                    object.__setattr__(self, "_instantiated", True)
                return
            from_mapped = kwargs.pop("_airflow_from_mapped", getattr(self, "_from_mapped", False))
            if passed_down is not None and passed_down.apply_to(kwargs):
                # A fresh dict, as merging would give (a subclass may change what it received).
                default_args = passed_down.default_args = dict(kwargs.pop("default_args"))
                params = None
            else:
                dag = kwargs.get("dag")
                if dag is None:
                    dag = DagContext.get_current()
                    if dag is not None:
                        kwargs["dag"] = dag
                task_group = kwargs.get("task_group")
                if dag is not None and task_group is None:
                    task_group = TaskGroupContext.get_current(dag)
                    if task_group is not None:
                        kwargs["task_group"] = task_group
                default_args, params = merged_defaults(
                    dag, task_group, kwargs.pop("params", None), kwargs.pop("default_args", None)
                )
            fill_defaults(kwargs, default_args)
            if params:
                kwargs["params"] = params
            if "_init_kwargs" not in state:
                object.__setattr__(self, "_init_kwargs", {})
            object.__setattr__(self, "_from_mapped", from_mapped)
            if passed_down is None and kwargs.get("dag") is not None:
                # The outermost __init__: what it merged is passed down to the __init__s it calls.
                state["_defaults_passed_down"] = _DefaultsPassedDown(
                    kwargs["dag"], kwargs.get("task_group"), default_args
                )
                try:
                    func(self, **kwargs, default_args=default_args)
                finally:
                    self.__dict__.pop("_defaults_passed_down", None)  # (BaseOperator.__init__ replaces the dict)
            else:
                func(self, **kwargs, default_args=default_args)
            self._init_kwargs.update(kwargs)
            # Only the outermost __init__ of the class hierarchy links XComArg dependencies.
            if not from_mapped and func is getattr(type(self).__init__, "__wrapped__", None):
                self._set_xcomargs_dependencies()
                object.__setattr__(self, "_instantiated", True)

        apply_defaults._riir_param_names = set(named)  # type: ignore[attr-defined]
        return apply_defaults


class BaseOperator(TaskNode, metaclass=BaseOperatorMeta):
    """The base class of every operator. Subclasses implement `execute(context)`."""

    template_fields: Sequence[str] = ()
    template_ext: Sequence[str] = ()
    template_fields_renderers: dict[str, str] = {}
    ui_color: str = "#fff"
    ui_fgcolor: str = "#000"
    operator_extra_links: Sequence[Any] = ()
    shallow_copy_attrs: Sequence[str] = ()
    deferrable: bool = False
    start_from_trigger: bool = False
    start_trigger_args: Any = None
    custom_operator_name: str | None = None
    # Set while the object is built, so attribute hooks stay quiet until the constructor is done.
    _instantiated = False
    _from_mapped = False
    _init_kwargs: dict[str, Any]
    # Set by __init__ (through `_set_attributes`).
    owner: str
    email: str | Sequence[str] | None
    email_on_retry: bool
    email_on_failure: bool
    execution_timeout: timedelta | None
    on_execute_callback: list[Any]
    on_failure_callback: list[Any]
    on_success_callback: list[Any]
    on_retry_callback: list[Any]
    on_skipped_callback: list[Any]
    _pre_execute_hook: Callable[..., Any] | None
    _post_execute_hook: Callable[..., Any] | None
    start_date: datetime | None
    end_date: datetime | None
    executor: str | None
    executor_config: dict[str, Any]
    run_as_user: str | None
    retries: int | None
    queue: str
    pool: str
    pool_slots: int
    trigger_rule: TriggerRule
    depends_on_past: bool
    ignore_first_depends_on_past: bool
    wait_for_past_depends_before_skipping: bool
    wait_for_downstream: bool
    retry_delay: timedelta
    retry_exponential_backoff: float
    max_retry_delay: timedelta | None
    retry_policy: Any
    resources: dict[str, Any] | None
    params: ParamsDict
    priority_weight: int
    weight_rule: Any  # a WeightRule, or a custom priority weight strategy
    max_active_tis_per_dag: int | None
    max_active_tis_per_dagrun: int | None
    do_xcom_push: bool
    map_index_template: str | None
    multiple_outputs: bool
    doc: str | None
    doc_md: str | None
    doc_json: str | None
    doc_yaml: str | None
    doc_rst: str | None
    _task_display_name: str | None
    _logger_name: str | None
    allow_nested_operators: bool
    render_template_as_native_obj: bool | None
    cache: str | None
    inlets: list[Any]
    outlets: list[Any]
    is_setup: bool
    is_teardown: bool
    on_failure_fail_dagrun: bool
    returns_dag_result: bool

    def __init__(
        self,
        *,
        task_id: str,
        owner: str = DEFAULT_OWNER,
        email: str | Sequence[str] | None = None,
        email_on_retry: bool = True,
        email_on_failure: bool = True,
        retries: int | None = DEFAULT_RETRIES,
        retry_delay: timedelta | float = DEFAULT_RETRY_DELAY,
        retry_exponential_backoff: float = 0,
        max_retry_delay: timedelta | float | None = None,
        retry_policy: Any = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        depends_on_past: bool = False,
        ignore_first_depends_on_past: bool = False,
        wait_for_past_depends_before_skipping: bool = False,
        wait_for_downstream: bool = False,
        dag: DAG | None = None,
        params: collections.abc.MutableMapping[str, Any] | None = None,
        default_args: dict[str, Any] | None = None,
        priority_weight: int = DEFAULT_PRIORITY_WEIGHT,
        weight_rule: str | WeightRule = WeightRule.DOWNSTREAM,
        queue: str = DEFAULT_QUEUE,
        pool: str | None = None,
        pool_slots: int = 1,
        sla: timedelta | None = None,
        execution_timeout: timedelta | None = None,
        on_execute_callback: Any = None,
        on_failure_callback: Any = None,
        on_success_callback: Any = None,
        on_retry_callback: Any = None,
        on_skipped_callback: Any = None,
        pre_execute: Callable[..., Any] | None = None,
        post_execute: Callable[..., Any] | None = None,
        trigger_rule: str = TriggerRule.ALL_SUCCESS,
        resources: dict[str, Any] | None = None,
        run_as_user: str | None = None,
        map_index_template: str | None = None,
        max_active_tis_per_dag: int | None = None,
        max_active_tis_per_dagrun: int | None = None,
        executor: str | None = None,
        executor_config: dict[str, Any] | None = None,
        do_xcom_push: bool = True,
        multiple_outputs: bool = False,
        inlets: Any | None = None,
        outlets: Any | None = None,
        task_group: TaskGroup | None = None,
        doc: str | None = None,
        doc_md: str | None = None,
        doc_json: str | None = None,
        doc_yaml: str | None = None,
        doc_rst: str | None = None,
        task_display_name: str | None = None,
        logger_name: str | None = None,
        allow_nested_operators: bool = True,
        render_template_as_native_obj: bool | None = None,
        cache: str | None = None,
        **kwargs: Any,
    ) -> None:
        # Attribute writes go straight into __dict__ when setattr would do nothing else (see `_set_attributes`).
        plain = not self._instantiated and _plain_attribute_writes(type(self), _INIT_ATTRIBUTES)
        # A mapped operator's unmapped copy already carries the group prefix.
        joins_group = task_group is not None and not self._from_mapped
        identity: dict[str, Any] = {
            "upstream_task_ids": set(),
            "downstream_task_ids": set(),
            "_dag": None,  # what `self.dag = None` stores (see `_plain_attribute_writes`)
            "task_id": task_group.child_id(task_id) if joins_group else task_id,  # type: ignore[union-attr]
            "task_group": None if joins_group else task_group,
        }
        self._set_attributes(identity, _INIT_ATTRIBUTES, plain)
        if joins_group:
            task_group.add(self)  # type: ignore[union-attr]  # sets task_group

        kwargs.pop("_airflow_mapped_validation_only", None)
        if kwargs:
            raise TypeError(
                f"Invalid arguments were passed to {type(self).__name__} (task_id: {task_id}). "
                f"Invalid arguments were:\n**kwargs: {kwargs}"
            )
        validate_key(self.task_id)

        if execution_timeout is not None and not isinstance(execution_timeout, timedelta):
            raise ValueError(
                f"execution_timeout must be timedelta object but passed as type: {type(execution_timeout)}"
            )
        if start_date is not None or end_date is not None:
            from riir_airflow.authoring.dag import convert_to_utc

            start_date, end_date = convert_to_utc(start_date), convert_to_utc(end_date)
        if pool_slots < 1:
            in_dag = f" in dag {dag.dag_id}" if dag else ""
            raise ValueError(f"pool slots for {self.task_id}{in_dag} cannot be less than 1")
        if sla is not None:
            warnings.warn(
                "The SLA feature is removed in Airflow 3.0, replaced with Deadline Alerts in >=3.1", stacklevel=2
            )
        if not isinstance(trigger_rule, TriggerRule) and not TriggerRule.is_valid(str(trigger_rule)):
            raise ValueError(
                f"The trigger_rule must be one of {[rule.value for rule in TriggerRule]},"
                f"'{dag.dag_id if dag else ''}.{task_id}'; received '{trigger_rule}'."
            )
        # A WeightRule value, or a custom strategy (an instance, or the import path of a class a plugin registers)
        # kept as given; it is resolved when the task's priority is computed (as Airflow's DAG processor does).
        if type(weight_rule) is not WeightRule:
            rule_name = getattr(weight_rule, "value", weight_rule)
            if isinstance(rule_name, str) and WeightRule.is_valid(rule_name):
                weight_rule = WeightRule(rule_name)
        # The sixty attributes are stored into a copy of a dict that already has their keys (see
        # `_ATTRIBUTES_TEMPLATE`), in this order.
        attributes = _ATTRIBUTES_TEMPLATE.copy()
        attributes["owner"] = owner
        attributes["email"] = email
        attributes["email_on_retry"] = email_on_retry
        attributes["email_on_failure"] = email_on_failure
        attributes["execution_timeout"] = execution_timeout
        attributes["on_execute_callback"] = (
            [] if on_execute_callback is None else collect_callbacks(on_execute_callback)
        )
        attributes["on_failure_callback"] = (
            [] if on_failure_callback is None else collect_callbacks(on_failure_callback)
        )
        attributes["on_success_callback"] = (
            [] if on_success_callback is None else collect_callbacks(on_success_callback)
        )
        attributes["on_retry_callback"] = [] if on_retry_callback is None else collect_callbacks(on_retry_callback)
        attributes["on_skipped_callback"] = (
            [] if on_skipped_callback is None else collect_callbacks(on_skipped_callback)
        )
        attributes["_pre_execute_hook"] = pre_execute
        attributes["_post_execute_hook"] = post_execute
        attributes["start_date"] = start_date
        attributes["end_date"] = end_date
        attributes["executor"] = executor
        attributes["executor_config"] = executor_config or {}
        attributes["run_as_user"] = run_as_user
        attributes["retries"] = retries
        attributes["queue"] = queue
        attributes["pool"] = DEFAULT_POOL_NAME if pool is None else pool
        attributes["pool_slots"] = pool_slots
        attributes["trigger_rule"] = trigger_rule if type(trigger_rule) is TriggerRule else TriggerRule(trigger_rule)
        attributes["depends_on_past"] = depends_on_past or wait_for_downstream
        attributes["ignore_first_depends_on_past"] = ignore_first_depends_on_past
        attributes["wait_for_past_depends_before_skipping"] = wait_for_past_depends_before_skipping
        attributes["wait_for_downstream"] = wait_for_downstream
        attributes["retry_delay"] = (
            retry_delay if isinstance(retry_delay, timedelta) else parse_retry_delay(retry_delay)
        )
        attributes["retry_exponential_backoff"] = float(retry_exponential_backoff)
        attributes["max_retry_delay"] = None if max_retry_delay is None else parse_retry_delay(max_retry_delay)
        attributes["retry_policy"] = retry_policy
        attributes["resources"] = resources
        attributes["params"] = ParamsDict(params)
        attributes["priority_weight"] = priority_weight
        attributes["weight_rule"] = weight_rule
        attributes["max_active_tis_per_dag"] = max_active_tis_per_dag
        attributes["max_active_tis_per_dagrun"] = max_active_tis_per_dagrun
        attributes["do_xcom_push"] = do_xcom_push
        attributes["map_index_template"] = map_index_template
        attributes["multiple_outputs"] = multiple_outputs
        attributes["doc"] = doc
        attributes["doc_md"] = doc_md
        attributes["doc_json"] = doc_json
        attributes["doc_yaml"] = doc_yaml
        attributes["doc_rst"] = doc_rst
        attributes["_task_display_name"] = task_display_name
        attributes["_logger_name"] = logger_name
        attributes["allow_nested_operators"] = allow_nested_operators
        attributes["render_template_as_native_obj"] = render_template_as_native_obj
        # riir's per-file memoization (`cache="file"`, see riir_airflow.runtime.file_cache); Airflow has no such
        # argument, so None (the default) keeps an operator exactly as Airflow builds it.
        attributes["cache"] = None if cache is None else check_cache_mode(cache, task_id)
        attributes["inlets"] = [] if inlets is None else collect_callbacks(inlets)
        attributes["outlets"] = [] if outlets is None else collect_callbacks(outlets)
        attributes["is_setup"] = False
        attributes["is_teardown"] = False
        attributes["on_failure_fail_dagrun"] = False
        attributes["returns_dag_result"] = False
        if isinstance(self.template_fields, str):
            warnings.warn(
                f"The `template_fields` value for {self.task_type} is a string but should be a list or tuple of "
                f"string. Wrapping it in a list for execution. Please update {self.task_type} accordingly.",
                UserWarning,
                stacklevel=2,
            )
            attributes["template_fields"] = [self.template_fields]
        if plain:
            # The instance's dict becomes `attributes` plus what was set before (`attributes` wins, as when written
            # after it): inserting sixty keys one by one into the instance's dict, growing it step by step, cost
            # three times as much.
            for name, value in self.__dict__.items():
                attributes.setdefault(name, value)
            self.__dict__ = attributes
        else:
            self._set_attributes(attributes, _INIT_ATTRIBUTES, plain)
        SetupTeardownScope.track(self)
        if dag is not None:
            dag.add_task(self)
        self._check_argument_types(plain)
        priority = self.priority_weight
        if not plain or not DB_SAFE_MINIMUM <= priority <= DB_SAFE_MAXIMUM:
            self.priority_weight = max(DB_SAFE_MINIMUM, min(DB_SAFE_MAXIMUM, priority))

    def _check_argument_types(self, plain: bool) -> None:
        """Raises Airflow's TypeError for the first argument in ARGS_EXPECTED_TYPES whose value has the wrong type.

        With plain attribute writes the values BaseOperator stored are read from `__dict__` and checked at once
        (None allowed): by their types' combination when one like it passed before, else in one C-level pass; the
        loop below, which reads every value as Airflow does (getattr), then only runs to name the culprit, or for
        classes whose attributes may be properties."""
        if plain:
            values = _STORED_CHECKED_VALUES(self.__dict__) + tuple(
                [getattr(self, name, None) for name in _OTHER_CHECKED_NAMES]
            )
            types = tuple(map(type, values))
            if types in _PASSED_TYPE_COMBINATIONS:
                return
            if all(map(isinstance, values, _ALL_CHECKED_TYPES)):
                if len(_PASSED_TYPE_COMBINATIONS) < _MAX_PASSED_TYPE_COMBINATIONS and all(
                    map(issubclass, types, _ALL_CHECKED_TYPES)
                ):
                    _PASSED_TYPE_COMBINATIONS.add(types)
                return
        for name, expected in ARGS_EXPECTED_TYPES.items():
            value = getattr(self, name, None)
            if value is not None and not isinstance(value, expected):
                raise TypeError(
                    f"{name!r} for task {self.task_id!r} expects {expected}, got {type(value)} with value {value!r}"
                )

    def _set_attributes(
        self, attributes: dict[str, Any], names: tuple[str, ...] | None = None, plain: bool | None = None
    ) -> None:
        """Sets attributes during construction: straight into the instance's `__dict__` when `setattr` would store
        them there and do nothing else (see `_plain_attribute_writes`; `names` holds at least the keys of
        `attributes`, default: those keys), one by one through `setattr` otherwise. An operator has some sixty of
        them; going through `__setattr__` for each was a fifth of its construction."""
        if plain is None:
            plain = not self._instantiated and _plain_attribute_writes(type(self), names or tuple(attributes))
        if plain:
            self.__dict__.update(attributes)
        else:
            for name, value in attributes.items():
                if name == "_dag":
                    self.dag = value
                else:
                    setattr(self, name, value)

    # --- DAG membership -------------------------------------------------------------------------------------
    @property
    def dag(self) -> DAG | None:
        return self.__dict__.get("_dag")

    @dag.setter
    def dag(self, dag: DAG | None) -> None:
        """Assigning a DAG adds the task to it; a task can never move to another DAG (as in Airflow)."""
        if dag is None:
            self.__dict__["_dag"] = None
            return
        current = self.__dict__.get("_dag")
        if current is not None and current is not dag:
            raise ValueError(f"The dag assigned to {self} can not be changed.")
        self.__dict__["_dag"] = dag
        if dag.task_dict.get(self.task_id) is not self:
            dag.add_task(self)

    # --- identity and introspection ---------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<Task({self.task_type}): {self.task_id}>"

    __hash__ = object.__hash__

    @property
    def node_id(self) -> str:
        return self.task_id

    @property
    def log(self) -> logging.Logger:
        return logging.getLogger(f"airflow.task.operators.{type(self).__module__}.{type(self).__name__}")

    @property
    def task_type(self) -> str:
        """The operator's class name, as Airflow reports it."""
        return type(self).__name__

    @property
    def operator_name(self) -> str:
        return self.custom_operator_name or self.task_type

    @property
    def task_display_name(self) -> str:
        return self._task_display_name or self.task_id

    @property
    def dag_id(self) -> str:
        return self.dag.dag_id if self.dag is not None else f"adhoc_{self.owner}"

    @property
    def is_mapped(self) -> bool:
        return False

    @property
    def inherits_from_empty_operator(self) -> bool:
        return isinstance(self, empty_operator_class())

    # --- setup / teardown ----------------------------------------------------------------------------------
    def as_setup(self) -> BaseOperator:
        self.is_setup = True
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> BaseOperator:
        self.is_teardown = True
        self.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if setups is not None:
            from riir_airflow.authoring.node import as_list

            for setup in as_list(setups):
                setup = getattr(setup, "operator", setup)
                setup.is_setup = True
                setup.set_downstream(self)
        return self

    def __enter__(self) -> type[SetupTeardownScope]:
        return SetupTeardownScope.enter([self])

    def __exit__(self, *exc: object) -> None:
        SetupTeardownScope.exit()

    # --- mapping -------------------------------------------------------------------------------------------
    @classmethod
    def partial(cls, **kwargs: Any) -> OperatorPartial:
        """Fixes arguments shared by every mapped copy; follow with `.expand(...)`."""
        from riir_airflow.authoring.mapped import OperatorPartial

        return OperatorPartial(operator_class=cls, kwargs=kwargs)

    # --- XComArg dependencies ------------------------------------------------------------------------------
    def _set_xcomargs_dependencies(self) -> None:
        XComArg = _xcom_arg_class()
        for field in self.template_fields:
            value = getattr(self, field, None)
            if value is None or type(value) is str or (type(value) in _WITHOUT_REFERENCES_WHEN_EMPTY and not value):
                continue  # (the common case: nothing that could refer to another task)
            for operator, _key in XComArg.iter_xcom_references(value):
                self.set_upstream(operator)

    def __setattr__(self, key: str, value: Any) -> None:
        super().__setattr__(key, value)
        # Only template fields assigned after construction can add dependencies (checked in this order: cheapest
        # first, since every attribute assignment of every operator passes here, most of them during construction).
        if (
            self._instantiated
            and key in self.template_fields
            and not self._from_mapped
            and not self.__dict__.get("_lock_for_execution")
        ):
            # `op.bash_command = other.output` after construction still adds the dependency.
            from riir_airflow.authoring.xcom_arg import XComArg

            for operator, _key in XComArg.iter_xcom_references(value):
                self.set_upstream(operator)

    # --- lineage -------------------------------------------------------------------------------------------
    def add_inlets(self, inlets: Iterable[Any]) -> None:
        self.inlets.extend(inlets)

    def add_outlets(self, outlets: Iterable[Any]) -> None:
        self.outlets.extend(outlets)

    # --- running -------------------------------------------------------------------------------------------
    def execute(self, context: Any) -> Any:
        """Does the task's work; the return value is pushed to XCom (when do_xcom_push)."""
        raise NotImplementedError()

    def pre_execute(self, context: Any) -> None:
        if self._pre_execute_hook is not None:
            self._pre_execute_hook(context)

    def post_execute(self, context: Any, result: Any = None) -> None:
        if self._post_execute_hook is not None:
            self._post_execute_hook(context, result)

    def on_kill(self) -> None:
        """Called when the task is killed; override to clean up external resources."""

    def defer(
        self, *, trigger: Any, method_name: str, kwargs: dict[str, Any] | None = None, timeout: timedelta | None = None
    ) -> None:
        """Hands the task to the triggerer; it resumes in `method_name` with the trigger's event."""
        raise TaskDeferred(trigger=trigger, method_name=method_name, kwargs=kwargs, timeout=timeout)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Any) -> Any:
        return getattr(self, next_method)(context, **(next_kwargs or {}))

    def get_template_env(self, dag: DAG | None = None) -> Any:
        from riir_airflow.authoring.templating import template_env_for

        return template_env_for(dag or self.dag, self.render_template_as_native_obj)

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        from riir_airflow.authoring.templating import render_template_fields

        render_template_fields(self, context, jinja_env)

    def render_template(self, content: Any, context: Any, jinja_env: Any = None, seen_oids: Any = None) -> Any:
        from riir_airflow.authoring.templating import render_value

        return render_value(content, context, jinja_env or self.get_template_env(), seen_oids, self.template_ext)

    def _do_render_template_fields(
        self, parent: Any, template_fields: Any, context: Any, jinja_env: Any, seen_oids: set[int]
    ) -> None:
        """Airflow's Templater method providers call to re-render some fields of `parent` (e.g. smtp's
        EmailOperator after filling fields from its connection)."""
        from riir_airflow.authoring.templating import _render_fields

        _render_fields(parent, template_fields, context, jinja_env, seen_oids, getattr(parent, "template_ext", ()))

    def _read_template(self, template_path: str) -> str:
        """The text of a template file (Airflow's Templater._read_template)."""
        with open(template_path) as handle:
            return handle.read()


# --- chaining helpers -----------------------------------------------------------------------------------------
def chain(*tasks: Any) -> None:
    """Links each element to the next: a >> b >> c; lists of equal length are linked pairwise."""
    for up, down in itertools.pairwise(tasks):
        if isinstance(up, DependencyMixin):
            up.set_downstream(down)
            continue
        if isinstance(down, DependencyMixin):
            down.set_upstream(up)
            continue
        if not isinstance(up, Sequence) or not isinstance(down, Sequence):
            raise TypeError(f"Chain not supported between instances of {type(up)} and {type(down)}")
        if len(up) != len(down):
            raise ValueError(f"Chain not supported for different length Iterable. Got {len(up)} and {len(down)}.")
        for u, d in zip(up, down, strict=True):
            u.set_downstream(d)


def cross_downstream(from_tasks: Sequence[Any], to_tasks: Any) -> None:
    """Every task in `from_tasks` becomes upstream of every task in `to_tasks`."""
    for task in from_tasks:
        task.set_downstream(to_tasks)


def chain_linear(*elements: Any) -> None:
    """Each element (a task or a list) is fully linked to the next one."""
    if len(elements) < 2:
        raise ValueError("Chain linear must have at least two elements")
    linked = False
    prev: list[Any] = []
    for element in elements:
        current = list(element) if isinstance(element, Sequence) and not isinstance(element, str) else [element]
        for up in prev:
            for down in current:
                up.set_downstream(down)
                linked = True
        prev = current
    if not linked:
        raise ValueError("No dependencies were set. Did you forget to expand with `*`?")
