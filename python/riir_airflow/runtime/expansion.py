"""How many copies a mapped task (or a task in a mapped task group) expands to, from its upstream XComs.

The engine decides *when* to expand; measuring resolves the task's XCom references the way the task itself would,
so it lives with the task runtime and is handed to the engine (`RunEngine(..., measure=expansion_length)`).
"""

from __future__ import annotations

from typing import Any

from riir_airflow import core_settings as settings
from riir_airflow.engine.engine import mapped_groups_of
from riir_airflow.engine.records import TaskInstanceRecord
from riir_airflow.runtime.task_instance import RuntimeTaskInstance


def expansion_length(task: Any, xcoms: Any) -> int:
    """The number of copies, checked against `[core] max_map_length`; `xcoms` is the run's XCom store."""
    ti = RuntimeTaskInstance(task, TaskInstanceRecord(task.task_id, -1), xcoms)
    context = {"ti": ti}
    if task.is_mapped:
        length = int(task.total_map_length(context))
    else:
        length = 1
        for group in mapped_groups_of(task):
            length *= int(group._expand_input.total_length(context))
    limit = settings.max_map_length()
    if length > limit:
        raise RuntimeError(f"Expansion of {task.task_id} gives {length} copies, above [core] max_map_length={limit}")
    return length
