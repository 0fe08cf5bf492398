"""`with teardown_task(setup_task()):` — tasks made inside run after the setups and before the teardowns.

Mirrors Airflow 3.3's `SetupTeardownContext`: one stack of open setup blocks and one of open teardown blocks. A
task created while a block is open is recorded for the innermost setup block and the innermost teardown block only
(never for the outer ones), and setup/teardown tasks themselves are never wired as work: a task group with its own
setup and teardown inside `with outer_teardown(outer_setup()):` keeps them unconnected to the outer ones, as in
Airflow. When a block closes, its work's roots (tasks with no upstream at all) go after the setups and its leaves
(no downstream) before the teardowns; nested blocks chain outer setup >> inner setup and inner teardown >> outer
teardown. Mapped operators are not recorded (Airflow's MappedOperator does not register either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from riir_airflow.exceptions import AirflowException


@dataclass
class _Block:
    """One open `with` block: its setup (or teardown) operators, the counterparts found in the graph, its work."""

    operators: list[Any]
    # For a setup block: the teardowns downstream of its setup; for a teardown block: the setups upstream of it.
    counterparts: list[Any]
    work: list[Any] = field(default_factory=list)


def _is_work(task: Any) -> bool:
    return not task.is_setup and not task.is_teardown


def _find_related(start: list[Any], operators: list[Any], wanted: str) -> list[Any]:
    """The nearest tasks with `is_setup`/`is_teardown` (wanted) reachable from start, walking both directions."""
    frontier, seen = list(start), {id(op) for op in operators}
    while frontier:
        found = [t for t in frontier if getattr(t, wanted)]
        if found:
            return found
        seen.update(id(t) for t in frontier)
        frontier = [n for t in frontier for n in [*t.downstream_list, *t.upstream_list] if id(n) not in seen]
    return []


def _link(upstream: list[Any], downstream: list[Any]) -> None:
    for up in upstream:
        for down in downstream:
            up.set_downstream(down)


class SetupTeardownScope:
    """The open setup blocks and teardown blocks (class-level state, as Airflow's context is)."""

    _setups: list[_Block] = []
    _teardowns: list[_Block] = []

    @classmethod
    def enter(cls, operators: list[Any], error: type[Exception] = RuntimeError) -> type[SetupTeardownScope]:
        """Opens a block; returns this class, whose `add_task` adds an existing task to the block (as Airflow's)."""
        for op in operators:
            if not (op.is_setup or op.is_teardown):
                raise error("Only setup/teardown tasks can be used as context managers.")
        if any(op.is_setup != operators[0].is_setup for op in operators):
            raise ValueError("All tasks in the list must be either setup or teardown tasks")
        if operators[0].is_setup:
            teardowns = _find_related([d for op in operators for d in op.downstream_list], operators, "is_teardown")
            cls._setups.append(_Block(operators, teardowns))
        else:
            setups = _find_related([u for op in operators for u in op.upstream_list], operators, "is_setup")
            cls._teardowns.append(_Block(operators, setups))
        return cls

    @classmethod
    def add_task(cls, task: Any) -> None:
        """`with setup_task as ctx: ctx.add_task(existing)` makes an already created task work of the open block."""
        if not (cls._setups or cls._teardowns):
            raise AirflowException("Cannot add task to context outside the context manager.")
        cls.track(getattr(task, "operator", task))

    @classmethod
    def track(cls, task: Any) -> None:
        """Records a newly created task as work of the innermost open setup block and teardown block."""
        for stack in (cls._setups, cls._teardowns):
            if stack:
                stack[-1].work.append(task)

    @classmethod
    def exit(cls) -> None:
        """Wires the work of the innermost blocks, then closes them (Airflow closes the innermost setup AND teardown
        block whichever `with` ends)."""
        setup = cls._setups[-1] if cls._setups else None
        teardown = cls._teardowns[-1] if cls._teardowns else None
        if setup is not None:
            work = [t for t in setup.work if _is_work(t)]
            if work:
                roots = [t for t in work if not t.upstream_list]
                _link(setup.operators, roots or work[:1])
                leaves = [t for t in work if not t.downstream_list] or work[-1:]
                _link(teardown.operators if teardown is not None else leaves, setup.counterparts)
        if teardown is not None:
            work = [t for t in teardown.work if _is_work(t)]
            if work:
                leaves = [t for t in work if not t.downstream_list]
                _link(leaves or work[-1:], teardown.operators)
                roots = [t for t in work if not t.upstream_list] or work[:1]
                _link(teardown.counterparts, setup.operators if setup is not None else roots)
        if cls._setups:
            inner = cls._setups.pop()
            if cls._setups:  # outer setup >> inner setup; inner's teardowns >> outer's teardowns
                outer = cls._setups[-1]
                _link(outer.operators, inner.operators)
                _link(inner.counterparts, outer.counterparts)
        if cls._teardowns:
            inner = cls._teardowns.pop()
            if cls._teardowns:  # inner teardown >> outer teardown; outer's setups >> inner's setups
                outer = cls._teardowns[-1]
                _link(inner.operators, outer.operators)
                _link(outer.counterparts, inner.counterparts)
