"""Skipping downstream tasks from inside a task (branching, short-circuit), as Airflow 3's SkipMixin does.

The task pushes an XCom under `skipmixin_key` (so clearing can re-skip the same tasks) and raises
DownstreamTasksSkipped; the runtime marks those tasks skipped and the task itself succeeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import GeneratorType
from typing import Any

from riir_airflow.exceptions import AirflowException, DownstreamTasksSkipped

XCOM_SKIPMIXIN_KEY = "skipmixin_key"
XCOM_SKIPMIXIN_SKIPPED = "skipped"
XCOM_SKIPMIXIN_FOLLOWED = "followed"


def _ensure_tasks(nodes: Iterable[Any]) -> list[Any]:
    from riir_airflow.authoring.baseoperator import is_operator

    return [n for n in nodes if is_operator(n)]


class SkipMixin:
    """Adds `skip` and `skip_all_except` to an operator."""

    @staticmethod
    def _set_state_to_skipped(tasks: list[Any], map_index: int | None) -> None:
        # Only unmapped tasks skip directly; the runtime handles expansions of mapped ones.
        if tasks and map_index == -1:
            raise DownstreamTasksSkipped(tasks=tasks)

    def skip(self, ti: Any, tasks: Iterable[Any]) -> None:
        task_list = _ensure_tasks(tasks)
        if not task_list:
            return
        ids = [t.task_id for t in task_list]
        if getattr(self, "task_id", None) is not None:
            ti.xcom_push(key=XCOM_SKIPMIXIN_KEY, value={XCOM_SKIPMIXIN_SKIPPED: ids})
        self._set_state_to_skipped(ids, ti.map_index)

    def skip_all_except(self, ti: Any, branch_task_ids: str | Iterable[str] | None) -> None:
        if isinstance(branch_task_ids, GeneratorType):
            branch_task_ids = list(branch_task_ids)
        if isinstance(branch_task_ids, str):
            follow = {branch_task_ids}
        elif isinstance(branch_task_ids, Iterable):
            follow = set(branch_task_ids)
            invalid = {(b, type(b).__name__) for b in follow if not isinstance(b, str)}
            if invalid:
                raise AirflowException(
                    "Unable to branch to the specified tasks. The branching function returned invalid "
                    f"'branch_task_ids': {invalid}. Please check that your function returns an Iterable of valid "
                    "task IDs that exist in your DAG."
                )
        elif branch_task_ids is None:
            follow = set()
        else:
            raise AirflowException(
                "'branch_task_ids' must be either None, a task ID, or an Iterable of IDs, "
                f"but got {type(branch_task_ids).__name__!r}."
            )
        task = ti.task
        dag = task.dag
        unknown = follow - set(dag.task_ids)
        if unknown:
            raise AirflowException(
                f"'branch_task_ids' must contain only valid task_ids. Invalid tasks found: {unknown}."
            )
        downstream = _ensure_tasks(task.downstream_list)
        if not downstream:
            return
        # A followed branch that leads into another direct downstream task (a join) keeps that task too.
        for branch in list(follow):
            follow.update(dag.get_task(branch).get_flat_relative_ids(upstream=False))
        skip = [(t.task_id, ti.map_index) for t in downstream if t.task_id not in follow]
        followed = [t.task_id for t in downstream if t.task_id in follow]
        ti.xcom_push(key=XCOM_SKIPMIXIN_KEY, value={XCOM_SKIPMIXIN_FOLLOWED: followed})
        self._set_state_to_skipped(skip, ti.map_index)


class BranchMixIn(SkipMixin):
    """`do_branch(context, ids)`: follow the given task or task group ids, skip the other direct downstreams."""

    def do_branch(self, context: Any, branches_to_execute: str | Iterable[str] | None) -> Any:
        if branches_to_execute is None:
            self.skip_all_except(context["ti"], None)
        else:
            self.skip_all_except(context["ti"], list(self._expand_task_group_roots(context["ti"], branches_to_execute)))
        return branches_to_execute

    @staticmethod
    def _expand_task_group_roots(ti: Any, branches: str | Iterable[str]) -> Iterator[str]:
        dag = ti.task.dag
        items = [branches] if isinstance(branches, str) or not isinstance(branches, Iterable) else branches
        groups = dag.task_group_dict
        for branch in items:
            if branch in groups:
                yield from (root.task_id for root in groups[branch].roots)
            else:
                yield branch
