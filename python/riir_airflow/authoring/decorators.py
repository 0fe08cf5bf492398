"""TaskFlow: `@task` and its variants turn a Python function into an operator factory.

Calling a decorated function inside a DAG creates a task (ids made unique with `__1`, `__2`, ... as in Airflow)
and returns an XComArg of its return value; passing XComArgs as arguments creates the dependencies.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from riir_airflow.authoring.baseoperator import BaseOperator
from riir_airflow.authoring.context_stack import DagContext, TaskGroupContext

# Context keys a decorated function may declare without passing them (Airflow: the Context TypedDict's keys).
from riir_airflow.authoring.context_type import KNOWN_CONTEXT_KEYS
from riir_airflow.authoring.mapped import DecoratedMappedOperator, validate_mapping_values
from riir_airflow.authoring.notset import SET_DURING_EXECUTION
from riir_airflow.authoring.signatures import required_parameter_names, signature_of
from riir_airflow.authoring.standard.bash import BashOperator
from riir_airflow.authoring.standard.python import (
    BranchPythonOperator,
    PythonOperator,
    ShortCircuitOperator,
    determine_kwargs,
)
from riir_airflow.authoring.standard.python_virtualenv import (
    BranchExternalPythonOperator,
    BranchPythonVirtualenvOperator,
    ExternalPythonOperator,
    PythonVirtualenvOperator,
)
from riir_airflow.authoring.standard.sensors import PythonSensor
from riir_airflow.authoring.standard.virtualenv import decorated_function_source
from riir_airflow.authoring.trigger_rule import TriggerRule
from riir_airflow.authoring.xcom_arg import PlainXComArg, XComArg
from riir_airflow.exceptions import AirflowException, AirflowSkipException


def get_unique_task_id(task_id: str, dag: Any = None, task_group: Any = None) -> str:
    """`task_id`, or `task_id__N` with the next free N when the id is already used in the DAG."""
    dag = dag or DagContext.get_current()
    if dag is None:
        return task_id
    task_group = task_group or TaskGroupContext.get_current(dag)
    full_id = task_group.child_id(task_id) if task_group is not None else task_id
    if full_id not in dag.task_dict:
        return task_id
    prefix = re.split(r"__\d+$", full_id)[0]
    suffixes = [0]
    for existing in dag.task_ids:
        match = re.match(rf"^{re.escape(prefix)}__(\d+)$", existing)
        if match:
            suffixes.append(int(match.group(1)))
    core = re.split(r"__\d+$", task_id)[0]
    return f"{core}__{max(suffixes) + 1}"


class DecoratedOperator(BaseOperator):
    """Shared part of TaskFlow operators: unique task ids and an early check of the call's arguments."""

    template_fields: Sequence[str] = ("op_args", "op_kwargs")
    template_fields_renderers = {"op_args": "py", "op_kwargs": "py"}
    python_callable: Callable[..., Any]
    op_args: Any
    op_kwargs: Any

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        task_id: str,
        op_args: Sequence[Any] | None = None,
        op_kwargs: dict[str, Any] | None = None,
        kwargs_to_upstream: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not getattr(self, "_from_mapped", False):
            task_id = get_unique_task_id(task_id, kwargs.get("dag"), kwargs.get("task_group"))
        op_args = list(op_args or [])
        op_kwargs = dict(op_kwargs or {})
        # Context keys may be left out of the call; the others must bind, so mistakes show at parse time. A call
        # without arguments binds when the function requires nothing but context keys (no signature to build).
        required = None if op_args or op_kwargs else required_parameter_names(python_callable)
        if required is None or not KNOWN_CONTEXT_KEYS.issuperset(required):
            signature = signature_of(python_callable)
            params = [
                p.replace(default=None) if p.name in KNOWN_CONTEXT_KEYS and p.default is p.empty else p
                for p in signature.parameters.values()
            ]
            try:
                signature.replace(parameters=params).bind(*op_args, **op_kwargs)
            except TypeError as exc:
                raise TypeError(str(exc)) from None
            except ValueError:
                pass
        self._set_attributes({"python_callable": python_callable, "op_args": op_args, "op_kwargs": op_kwargs})
        super().__init__(task_id=task_id, **(kwargs_to_upstream or {}), **kwargs)

    def execute(self, context: Any) -> Any:
        from riir_airflow.schedules.assets import Asset

        for arg in [*self.op_args, *self.op_kwargs.values()]:
            if isinstance(arg, Asset):
                self.inlets.append(arg)
        result = super().execute(context)
        return self._handle_output(result)

    def get_python_source(self) -> str:
        """The function's source minus its task decorators (Airflow's name: provider decorators such as
        `@task.docker` and `@task.kubernetes` ship it into their container)."""
        return decorated_function_source(inspect.getsource(self.python_callable), self.custom_operator_name or "@task")

    def _handle_output(self, result: Any) -> Any:
        if not self.multiple_outputs or result is None:
            return result
        if not isinstance(result, dict):
            raise AirflowException(f"Returned output was type {type(result)} expected dictionary for multiple_outputs")
        for key in result:
            if not isinstance(key, str):
                raise AirflowException(
                    "Returned dictionary keys must be strings when using "
                    f"multiple_outputs, found {key} ({type(key)}) instead"
                )
        return result


class _PythonDecoratedOperator(DecoratedOperator, PythonOperator):
    """What `@task` creates."""

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")
    custom_operator_name = "@task"

    def __init__(self, *, python_callable: Callable[..., Any], op_args: Any, op_kwargs: Any, **kwargs: Any) -> None:
        upstream = {"python_callable": python_callable, "op_args": op_args, "op_kwargs": op_kwargs}
        super().__init__(
            kwargs_to_upstream=upstream,
            python_callable=python_callable,
            op_args=op_args,
            op_kwargs=op_kwargs,
            **kwargs,
        )


class _BranchPythonDecoratedOperator(_PythonDecoratedOperator, BranchPythonOperator):
    custom_operator_name = "@task.branch"


class _ShortCircuitDecoratedOperator(_PythonDecoratedOperator, ShortCircuitOperator):
    custom_operator_name = "@task.short_circuit"


class _IsolatedPythonDecoratedOperator(_PythonDecoratedOperator):
    """`@task.virtualenv` and friends: the function's source, minus its task decorators (`get_python_source`),
    runs in the other python."""


class _PythonVirtualenvDecoratedOperator(_IsolatedPythonDecoratedOperator, PythonVirtualenvOperator):
    template_fields = PythonVirtualenvOperator.template_fields
    custom_operator_name = "@task.virtualenv"


class _BranchPythonVirtualenvDecoratedOperator(_IsolatedPythonDecoratedOperator, BranchPythonVirtualenvOperator):
    template_fields = BranchPythonVirtualenvOperator.template_fields
    custom_operator_name = "@task.branch_virtualenv"


class _PythonExternalDecoratedOperator(_IsolatedPythonDecoratedOperator, ExternalPythonOperator):
    template_fields = ExternalPythonOperator.template_fields
    custom_operator_name = "@task.external_python"


class _BranchExternalPythonDecoratedOperator(_IsolatedPythonDecoratedOperator, BranchExternalPythonOperator):
    template_fields = BranchExternalPythonOperator.template_fields
    custom_operator_name = "@task.branch_external_python"


class _BashDecoratedOperator(DecoratedOperator, BashOperator):
    """What `@task.bash` creates: the function returns the command to run."""

    template_fields: Sequence[str] = (*DecoratedOperator.template_fields, *BashOperator.template_fields)
    custom_operator_name = "@task.bash"
    overwrite_rtif_after_execution = True  # the rendered fields show the command that ran, as in Airflow

    def __init__(
        self, *, python_callable: Callable[..., Any], op_args: Any = None, op_kwargs: Any = None, **kwargs: Any
    ):
        # `multiple_outputs=True`: the dict returned by `output_processor` is pushed key by key too (as Airflow's
        # standard provider >= 1.13 does).
        super().__init__(
            python_callable=python_callable,
            op_args=op_args,
            op_kwargs=op_kwargs,
            bash_command=SET_DURING_EXECUTION,
            **kwargs,
        )

    def execute(self, context: Any) -> Any:
        context.update(self.op_kwargs)
        kwargs = determine_kwargs(self.python_callable, self.op_args, context)
        command = self.python_callable(*self.op_args, **kwargs)
        if not isinstance(command, str) or not command.strip():
            raise TypeError("The returned value from the TaskFlow callable must be a non-empty string.")
        self.bash_command = command
        self.render_template_fields(context)
        self.bash_command = self.render_template(command, context)
        return BashOperator.execute(self, context)


class _StubOperator(DecoratedOperator):
    """What `@task.stub` creates: a task that exists in the graph only; another runtime executes it."""

    custom_operator_name = "@task.stub"
    is_stub = True

    def __init__(self, *, python_callable: Callable[..., Any], task_id: str, **kwargs: Any) -> None:
        super().__init__(python_callable=python_callable, task_id=task_id, **kwargs)
        if getattr(self, "retry_policy", None) is not None:
            raise ValueError(
                "@task.stub does not support `retry_policy`: it runs Python in-process, but stub "
                "tasks execute on a lang-sdk runtime and never evaluate the policy. Use `retries` "
                "instead."
            )
        source = decorated_function_source(inspect.getsource(python_callable), self.custom_operator_name)
        module = ast.parse(source)
        if len(module.body) != 1:
            raise RuntimeError("Expected a single statement")
        function = module.body[0]
        if not isinstance(function, ast.FunctionDef):
            raise RuntimeError("Expected a single sync function")
        for statement in function.body:
            if isinstance(statement, ast.Pass):
                continue
            if (
                isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str | type(...))
            ):
                continue
            raise ValueError(
                f"Functions passed to @task.stub must be an empty function (`pass`, or `...` only) (got {statement})"
            )

    def execute(self, context: Any) -> Any:
        raise RuntimeError(
            "@task.stub should not be executed directly -- we expected this to go to a remote worker. "
            "Check your pool and worker configs"
        )


class DecoratedSensorOperator(PythonSensor):
    """What `@task.sensor` creates: the function is the poke."""

    template_fields: Sequence[str] = ("op_args", "op_kwargs")
    custom_operator_name = "@task.sensor"

    def __init__(self, *, task_id: str, **kwargs: Any) -> None:
        kwargs.pop("multiple_outputs", None)
        kwargs["task_id"] = get_unique_task_id(task_id, kwargs.get("dag"), kwargs.get("task_group"))
        super().__init__(**kwargs)


def _infer_multiple_outputs(function: Callable[..., Any]) -> bool:
    if "return" not in getattr(function, "__annotations__", {}):
        return False
    try:
        return_type = typing.get_type_hints(function).get("return", Any)
    except Exception:
        return False
    origin = getattr(return_type, "__origin__", return_type)
    return isinstance(origin, type) and issubclass(origin, Mapping)


class _TaskDecorator:
    """A decorated function: call it to create a task; `.override/.partial/.expand/.expand_kwargs` as Airflow."""

    _airflow_is_task_decorator = True

    def __init__(
        self,
        function: Callable[..., Any],
        operator_class: type[BaseOperator],
        multiple_outputs: bool | None = None,
        kwargs: dict[str, Any] | None = None,
        decorator_name: str = "task",
    ) -> None:
        if not callable(function):
            raise TypeError("`python_callable` param must be callable")
        self.function = function
        self.operator_class = operator_class
        self.multiple_outputs = _infer_multiple_outputs(function) if multiple_outputs is None else multiple_outputs
        self.kwargs = dict(kwargs or {})
        self.kwargs.setdefault("task_id", function.__name__)
        self.decorator_name = decorator_name
        self.partial_op_kwargs: dict[str, Any] = {}
        self.is_setup = False
        self.is_teardown = False
        self.on_failure_fail_dagrun = False
        self.returns_dag_result = False
        functools.update_wrapper(self, function)

    def _copy(self, **changes: Any) -> _TaskDecorator:
        clone = _TaskDecorator(
            self.function, self.operator_class, self.multiple_outputs, dict(self.kwargs), self.decorator_name
        )
        clone.partial_op_kwargs = dict(self.partial_op_kwargs)
        clone.is_setup, clone.is_teardown = self.is_setup, self.is_teardown
        clone.on_failure_fail_dagrun = self.on_failure_fail_dagrun
        for key, value in changes.items():
            setattr(clone, key, value)
        return clone

    def _mark(self, op: Any) -> None:
        if self.is_setup:
            op.is_setup = True
        if self.is_teardown:
            if "trigger_rule" in self.kwargs:
                raise ValueError("Trigger rule not configurable for teardown tasks.")
            op.is_teardown = True
            op.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
            op.on_failure_fail_dagrun = self.on_failure_fail_dagrun
        op.returns_dag_result = self.returns_dag_result

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        if self.is_teardown and "trigger_rule" in self.kwargs:
            raise ValueError("Trigger rule not configurable for teardown tasks.")
        op = self.operator_class(
            python_callable=self.function,
            op_args=args,
            op_kwargs={**self.partial_op_kwargs, **kwargs},
            multiple_outputs=self.multiple_outputs,
            **self.kwargs,
        )
        self._mark(op)
        if op.doc_md is None and self.function.__doc__:
            op.doc_md = self.function.__doc__
        return PlainXComArg(op)  # what XComArg(op) makes

    def override(self, **kwargs: Any) -> _TaskDecorator:
        multiple_outputs = kwargs.pop("multiple_outputs", self.multiple_outputs)
        clone = self._copy()
        clone.kwargs.update(kwargs)
        clone.multiple_outputs = multiple_outputs
        return clone

    def partial(self, **kwargs: Any) -> _TaskDecorator:
        self._check_arg_names("partial", kwargs)
        clone = self._copy()
        clone.partial_op_kwargs.update(kwargs)
        return clone

    def _check_arg_names(self, func: str, kwargs: Mapping[str, Any]) -> None:
        params = inspect.signature(self.function).parameters
        if any(p.kind == p.VAR_KEYWORD for p in params.values()):
            return
        for name in kwargs:
            if name not in params:
                raise TypeError(f"{func}() got an unexpected keyword argument {name!r}")

    def _mapped(self, expand_input: Any) -> XComArg:
        from riir_airflow.authoring.mapped import DictOfListsExpandInput

        kwargs = dict(self.kwargs)
        kwargs["task_id"] = get_unique_task_id(kwargs["task_id"], kwargs.get("dag"), kwargs.get("task_group"))
        partial_kwargs = {
            **kwargs,
            "python_callable": self.function,
            "op_args": [],
            "op_kwargs": dict(self.partial_op_kwargs),
            "multiple_outputs": self.multiple_outputs,
        }
        op = DecoratedMappedOperator.create(
            self.operator_class,
            partial_kwargs,
            expand_input,
            expand_into_op_kwargs=isinstance(expand_input, DictOfListsExpandInput),
        )
        if not isinstance(expand_input, DictOfListsExpandInput):
            op.expand_into_op_kwargs = True
        self._mark(op)
        return XComArg(op)  # type: ignore[no-any-return]

    def expand(self, **kwargs: Any) -> XComArg:
        from riir_airflow.authoring.mapped import DictOfListsExpandInput

        if not kwargs:
            raise TypeError("no arguments to expand against")
        self._check_arg_names("expand", kwargs)
        validate_mapping_values("expand", kwargs)
        return self._mapped(DictOfListsExpandInput(kwargs))

    def expand_kwargs(self, kwargs: Any, *, strict: bool = True) -> XComArg:
        from riir_airflow.authoring.mapped import ListOfDictsExpandInput

        if isinstance(kwargs, Sequence) and not isinstance(kwargs, str):
            for item in kwargs:
                if not isinstance(item, Mapping) and not hasattr(item, "resolve"):
                    raise TypeError(f"expected XComArg or list[dict], not {type(kwargs).__name__}")
        elif not hasattr(kwargs, "resolve"):
            raise TypeError(f"expected XComArg or list[dict], not {type(kwargs).__name__}")
        return self._mapped(ListOfDictsExpandInput(kwargs))


def _make_decorator(operator_class: type[BaseOperator], name: str, **defaults: Any) -> Callable[..., Any]:
    def decorator(
        python_callable: Callable[..., Any] | None = None, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Any:
        merged = {**defaults, **kwargs}

        def wrap(f: Callable[..., Any]) -> _TaskDecorator:
            return _TaskDecorator(f, operator_class, multiple_outputs, merged, name)

        return wrap(python_callable) if python_callable is not None else wrap

    decorator.__name__ = name
    return decorator


python_task = _make_decorator(_PythonDecoratedOperator, "task")


def _conditional(condition: Callable[[Any], Any], skip_message: str | None, run_when_true: bool) -> Callable[..., Any]:
    """`@task.run_if` / `@task.skip_if`: a pre-execute check that skips the task."""

    def decorator(task_decorator: _TaskDecorator) -> _TaskDecorator:
        if not isinstance(task_decorator, _TaskDecorator):
            raise TypeError("run_if/skip_if can only be used on top of a @task decorator")
        previous = task_decorator.kwargs.get("pre_execute")

        def pre_execute(context: Any) -> None:
            holds = bool(condition(context))
            if holds != run_when_true:
                raise AirflowSkipException(skip_message or "Task was skipped due to condition.")
            if previous is not None:
                previous(context)

        return task_decorator.override(pre_execute=pre_execute)

    return decorator


class TaskDecoratorCollection:
    """`task`: `@task` is `@task.python`; other variants are attributes."""

    python = staticmethod(python_task)
    branch = staticmethod(_make_decorator(_BranchPythonDecoratedOperator, "branch"))
    short_circuit = staticmethod(_make_decorator(_ShortCircuitDecoratedOperator, "short_circuit"))
    virtualenv = staticmethod(_make_decorator(_PythonVirtualenvDecoratedOperator, "virtualenv"))
    branch_virtualenv = staticmethod(_make_decorator(_BranchPythonVirtualenvDecoratedOperator, "branch_virtualenv"))
    external_python = staticmethod(_make_decorator(_PythonExternalDecoratedOperator, "external_python"))
    branch_external_python = staticmethod(
        _make_decorator(_BranchExternalPythonDecoratedOperator, "branch_external_python")
    )
    bash = staticmethod(_make_decorator(_BashDecoratedOperator, "bash"))
    sensor = staticmethod(_make_decorator(DecoratedSensorOperator, "sensor"))
    stub = staticmethod(_make_decorator(_StubOperator, "stub"))

    def __call__(
        self, python_callable: Callable[..., Any] | None = None, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Any:
        return python_task(python_callable, multiple_outputs, **kwargs)

    @staticmethod
    def run_if(condition: Callable[[Any], Any], skip_message: str | None = None) -> Callable[..., Any]:
        return _conditional(condition, skip_message, run_when_true=True)

    @staticmethod
    def skip_if(condition: Callable[[Any], Any], skip_message: str | None = None) -> Callable[..., Any]:
        return _conditional(condition, skip_message, run_when_true=False)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        # Decorators of installed providers (`task-decorators` in their provider info), as Airflow finds them.
        from riir_airflow.authoring.provider_decorators import not_found_message, provider_decorator

        decorator = provider_decorator(name)
        if decorator is None:
            raise AttributeError(not_found_message(name))
        return decorator


task = TaskDecoratorCollection()


def setup(func: Any) -> Any:
    """Marks a @task (or plain function) as a setup task."""
    from riir_airflow.authoring.taskgroup import _TaskGroupFactory

    if isinstance(func, types.FunctionType):
        func = python_task(func)
    if isinstance(func, _TaskGroupFactory):
        raise AirflowException("Task groups cannot be marked as setup or teardown.")
    func.is_setup = True
    return func


def teardown(_func: Any = None, *, on_failure_fail_dagrun: bool = False) -> Any:
    """Marks a @task (or plain function) as a teardown task."""
    from riir_airflow.authoring.taskgroup import _TaskGroupFactory

    def mark(func: Any) -> Any:
        if isinstance(func, types.FunctionType):
            func = python_task(func)
        if isinstance(func, _TaskGroupFactory):
            raise AirflowException("Task groups cannot be marked as setup or teardown.")
        func.is_teardown = True
        func.on_failure_fail_dagrun = on_failure_fail_dagrun
        return func

    return mark(_func) if _func is not None else mark


def result(task_decorator: Any) -> Any:
    """Marks a task's return value as the DAG's result."""
    task_decorator.returns_dag_result = True
    return task_decorator
