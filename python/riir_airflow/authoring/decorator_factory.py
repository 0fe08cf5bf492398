"""`task_decorator_factory`: how providers build their own `@task.<name>` decorators from a decorated operator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from riir_airflow.authoring.baseoperator import BaseOperator
from riir_airflow.authoring.decorators import _TaskDecorator

# What a decorated function is (Airflow types it with a Protocol of this name).
TaskDecorator = _TaskDecorator


def task_decorator_factory(
    python_callable: Callable[..., Any] | None = None,
    *,
    multiple_outputs: bool | None = None,
    decorated_operator_class: type[BaseOperator],
    **kwargs: Any,
) -> Any:
    """Wraps `python_callable` (or returns a decorator that will) so that calling it creates a
    `decorated_operator_class` task; `kwargs` go to the operator."""
    if python_callable is not None:
        if not callable(python_callable):
            raise TypeError("No positional arguments allowed while using @task, use named arguments instead")
        return _TaskDecorator(python_callable, decorated_operator_class, multiple_outputs, kwargs)

    def decorator(function: Callable[..., Any]) -> _TaskDecorator:
        return _TaskDecorator(function, decorated_operator_class, multiple_outputs, kwargs)

    return decorator
