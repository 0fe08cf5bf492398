"""Which DAG and task group the code being executed is building (`with DAG(...)`, `with TaskGroup(...)`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from riir_airflow.authoring.dag import DAG
    from riir_airflow.authoring.taskgroup import TaskGroup


class DagContext:
    """The stack of DAGs opened with `with`; also remembers every DAG so a loader can find unassigned ones."""

    _stack: list[DAG] = []
    # DAGs whose `with` block closed while a file is being imported (auto-registration); None when not loading.
    autoregistered: list[DAG] | None = None

    @classmethod
    def push(cls, dag: DAG) -> None:
        cls._stack.append(dag)

    @classmethod
    def pop(cls) -> DAG | None:
        dag = cls._stack.pop() if cls._stack else None
        if dag is not None and dag.auto_register and cls.autoregistered is not None:
            cls.autoregistered.append(dag)
        return dag

    @classmethod
    def get_current(cls) -> DAG | None:
        return cls._stack[-1] if cls._stack else None


class TaskGroupContext:
    """The stack of task groups opened with `with`; outside any, a DAG's root group is current."""

    _stack: list[TaskGroup] = []

    @classmethod
    def push(cls, group: TaskGroup) -> None:
        cls._stack.append(group)

    @classmethod
    def pop(cls) -> TaskGroup | None:
        return cls._stack.pop() if cls._stack else None

    @classmethod
    def get_current(cls, dag: DAG | None = None) -> TaskGroup | None:
        if cls._stack:
            return cls._stack[-1]
        return dag.task_group if dag is not None else None
