"""Runtime names that DAG files import at parse time: `get_current_context`, `get_parsing_context`, `Context`."""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from riir_airflow.authoring.current_context import get_current_context

# The context is a plain dict at run time; Airflow declares it as a TypedDict for type checkers.
Context = dict[str, Any]


class AirflowParsingContext(NamedTuple):
    """Which DAG/task is being parsed for execution (both None during normal parsing)."""

    dag_id: str | None
    task_id: str | None


def get_parsing_context() -> AirflowParsingContext:
    return AirflowParsingContext(
        dag_id=os.environ.get("_AIRFLOW_PARSING_CONTEXT_DAG_ID"),
        task_id=os.environ.get("_AIRFLOW_PARSING_CONTEXT_TASK_ID"),
    )


__all__ = ["AirflowParsingContext", "Context", "get_current_context", "get_parsing_context"]
