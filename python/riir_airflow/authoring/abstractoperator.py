"""Operator defaults that Airflow keeps in `airflow.models.abstractoperator` (the module, not the class)."""

from __future__ import annotations

import abc
import datetime
from collections.abc import Callable
from typing import Any

from riir_airflow.authoring.baseoperator import DEFAULT_OWNER, DEFAULT_QUEUE
from riir_airflow.config import conf

__all__ = [
    "DEFAULT_OWNER",
    "DEFAULT_QUEUE",
    "DEFAULT_TASK_EXECUTION_TIMEOUT",
    "AbstractOperator",
    "TaskStateChangeCallback",
]  # fmt: skip

# `[core] default_task_execution_timeout` (seconds); None when unset, as in Airflow.
DEFAULT_TASK_EXECUTION_TIMEOUT: datetime.timedelta | None = conf.gettimedelta("core", "default_task_execution_timeout")

TaskStateChangeCallback = Callable[[Any], None]


class AbstractOperator(abc.ABC):  # noqa: B024 - a marker base for isinstance checks, as Airflow code uses it
    """What operators and mapped operators have in common: `isinstance(task, AbstractOperator)` holds for both."""


def _register_operator_classes() -> None:
    from riir_airflow.authoring.baseoperator import BaseOperator
    from riir_airflow.authoring.mapped import MappedOperator

    AbstractOperator.register(BaseOperator)
    AbstractOperator.register(MappedOperator)


_register_operator_classes()
