"""PythonOperator and its branching / short-circuit variants."""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from riir_airflow.authoring.baseoperator import BaseOperator
from riir_airflow.authoring.signatures import signature_of
from riir_airflow.authoring.skipmixin import BranchMixIn, SkipMixin
from riir_airflow.exceptions import AirflowException


def determine_kwargs(func: Callable[..., Any], args: Collection[Any], kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The keyword arguments `func` asks for out of `kwargs` (all of them when it takes **kwargs)."""
    signature = signature_of(func)
    for name, param in itertools.islice(signature.parameters.items(), len(args)):
        if param.kind in (param.KEYWORD_ONLY, param.VAR_KEYWORD):
            continue
        if name in kwargs:
            raise ValueError(f"The key {name!r} in args is a part of kwargs and therefore reserved.")
    if any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values()):
        return kwargs
    return {key: kwargs[key] for key in signature.parameters if key in kwargs}


async def _await(awaitable: Any) -> Any:
    return await awaitable


class PythonOperator(BaseOperator):
    """Calls `python_callable(*op_args, **op_kwargs)`, passing the context keys it asks for by name."""

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")
    template_fields_renderers = {"templates_dict": "json", "op_args": "py", "op_kwargs": "py"}
    ui_color = "#ffefeb"
    shallow_copy_attrs: Sequence[str] = ("python_callable", "op_kwargs")
    python_callable: Callable[..., Any]
    op_args: Any
    op_kwargs: Any
    templates_dict: dict[str, Any] | None
    show_return_value_in_logs: bool

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: Sequence[str] | None = None,
        show_return_value_in_logs: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(python_callable):
            raise AirflowException("`python_callable` param must be callable")
        attributes = {
            "python_callable": python_callable,
            "op_args": op_args or (),
            "op_kwargs": op_kwargs or {},
            "templates_dict": templates_dict,
        }
        if templates_exts:
            attributes["template_ext"] = templates_exts
        attributes["show_return_value_in_logs"] = show_return_value_in_logs
        self._set_attributes(attributes)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.python_callable)

    def execute(self, context: Any) -> Any:
        # Where Metadata(...) yielded by a generator callable goes (Airflow: context_get_outlet_events).
        self._outlet_events = context.get("outlet_events")
        context.update(self.op_kwargs, templates_dict=self.templates_dict)
        self.op_kwargs = self.determine_kwargs(context)
        result = self.execute_callable()
        if inspect.isawaitable(result):
            # `async def` callables run to completion on an event loop of their own (the task's process).
            import asyncio

            result = asyncio.run(_await(result))
        if self.show_return_value_in_logs:
            self.log.info("Done. Returned value was: %s", result)
        else:
            self.log.info("Done. Returned value not shown")
        return result

    def determine_kwargs(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        return determine_kwargs(self.python_callable, self.op_args, context)

    def execute_callable(self) -> Any:
        if not inspect.isgeneratorfunction(self.python_callable):
            return self.python_callable(*self.op_args, **self.op_kwargs)
        # A generator callable: what it yields is fed to the outlet events, what it returns is the result.
        generator = self.python_callable(*self.op_args, **self.op_kwargs)
        outlet_events = getattr(self, "_outlet_events", None)
        while True:
            try:
                item = next(generator)
            except StopIteration as stop:
                return stop.value
            if outlet_events is None or not outlet_events.record_metadata(item):
                self.log.warning("Ignoring unknown data of %r received from task", type(item))
                self.log.debug("Full yielded value: %r", item)


class BranchPythonOperator(PythonOperator, BranchMixIn):
    """The callable returns the task id(s) (or task group ids) to follow; other direct downstreams are skipped."""

    inherits_from_skipmixin = True

    def execute(self, context: Any) -> Any:
        return self.do_branch(context, super().execute(context))


class ShortCircuitOperator(PythonOperator, SkipMixin):
    """A falsy result skips downstream tasks (all of them, or only direct ones when trigger rules are respected)."""

    inherits_from_skipmixin = True

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules

    def execute(self, context: Any) -> Any:
        condition = super().execute(context)
        if condition or not self.downstream_task_ids:
            return condition
        task = context["task"]
        if self.ignore_downstream_trigger_rules:
            tasks: Iterable[Any] = task.get_flat_relatives(upstream=False)
        else:
            tasks = task.get_direct_relatives(upstream=False)
        self.skip(ti=context["ti"], tasks=[t for t in tasks if not t.is_teardown])
        return condition


def get_current_context() -> Any:
    from riir_airflow.authoring.current_context import get_current_context as current

    return current()
