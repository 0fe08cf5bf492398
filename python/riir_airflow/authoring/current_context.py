"""The running task's context: `get_current_context()` and the AIRFLOW_CTX_* environment variables."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from riir_airflow.exceptions import AirflowException

_current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("riir_current_context", default=None)


def get_current_context() -> Any:
    """The context of the task running in this process (inside `execute` or a task function)."""
    context = _current.get()
    if context is None:
        raise AirflowException(
            "Current context was requested but no context was found! Are you running within an Airflow task?"
        )
    return context


@contextlib.contextmanager
def current_context(context: dict[str, Any]) -> Iterator[None]:
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)


def context_to_airflow_vars(context: Any, in_env_var_format: bool = False) -> dict[str, str]:
    """dag/task/run identifiers as AIRFLOW_CTX_* (env format) or airflow.ctx.* keys, as Airflow exports them."""
    pairs: list[tuple[str, str, Any]] = []
    task = context.get("task")
    dag_run = context.get("dag_run")
    ti = context.get("task_instance") or context.get("ti")
    if task is not None:
        if task.owner:
            pairs.append(("airflow.ctx.dag_owner", "AIRFLOW_CTX_DAG_OWNER", task.owner))
        if task.email:
            email = task.email if isinstance(task.email, str) else ",".join(task.email)
            pairs.append(("airflow.ctx.dag_email", "AIRFLOW_CTX_DAG_EMAIL", email))
    if ti is not None:
        pairs.append(("airflow.ctx.dag_id", "AIRFLOW_CTX_DAG_ID", ti.dag_id))
        pairs.append(("airflow.ctx.task_id", "AIRFLOW_CTX_TASK_ID", ti.task_id))
        pairs.append(("airflow.ctx.try_number", "AIRFLOW_CTX_TRY_NUMBER", ti.try_number))
    if dag_run is not None:
        if dag_run.logical_date is not None:
            pairs.append(("airflow.ctx.logical_date", "AIRFLOW_CTX_LOGICAL_DATE", dag_run.logical_date.isoformat()))
        pairs.append(("airflow.ctx.dag_run_id", "AIRFLOW_CTX_DAG_RUN_ID", dag_run.run_id))
    return {(env if in_env_var_format else key): str(value) for key, env, value in pairs}
