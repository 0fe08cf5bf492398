"""Operator defaults that Airflow keeps in `airflow.models.abstractoperator` (the module, not the class)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from riir_airflow._internal.baseoperator import DEFAULT_OWNER, DEFAULT_QUEUE
from riir_airflow.config import conf

__all__ = ["DEFAULT_OWNER", "DEFAULT_QUEUE", "DEFAULT_TASK_EXECUTION_TIMEOUT", "TaskStateChangeCallback"]

# `[core] default_task_execution_timeout` (seconds); None when unset, as in Airflow.
DEFAULT_TASK_EXECUTION_TIMEOUT: datetime.timedelta | None = conf.gettimedelta("core", "default_task_execution_timeout")

TaskStateChangeCallback = Callable[[Any], None]
