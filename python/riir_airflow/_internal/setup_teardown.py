"""`with teardown_task(setup_task()):` — tasks made inside run after the setups and before the teardowns."""

from __future__ import annotations

from typing import Any

from riir_airflow.exceptions import AirflowException


class SetupTeardownScope:
    """A stack of open setup/teardown `with` blocks and the tasks created inside each."""

    _frames: list[tuple[list[Any], list[Any]]] = []

    @classmethod
    def enter(cls, operators: list[Any], handle: Any) -> Any:
        for op in operators:
            if not (op.is_setup or op.is_teardown):
                raise AirflowException("Only setup/teardown tasks can be used as context managers.")
        cls._frames.append((operators, []))
        return handle

    @classmethod
    def track(cls, task: Any) -> None:
        if cls._frames:
            cls._frames[-1][1].append(task)

    @classmethod
    def exit(cls) -> None:
        if not cls._frames:
            raise AirflowException("Cannot add task to context outside the context manager.")
        operators, created = cls._frames.pop()
        teardowns = [op for op in operators if op.is_teardown]
        setups = [op for op in operators if op.is_setup]
        for teardown in teardowns:
            setups.extend(t for t in teardown.upstream_list if t.is_setup and t not in setups)
        inner = [t for t in created if t not in setups and t not in teardowns]
        ids = {t.task_id for t in inner}
        for task in inner:
            if setups and task.upstream_task_ids.isdisjoint(ids):
                task.set_upstream(setups)
            if teardowns and task.downstream_task_ids.isdisjoint(ids):
                task.set_downstream(teardowns)
        if cls._frames:
            cls._frames[-1][1].extend(created)
