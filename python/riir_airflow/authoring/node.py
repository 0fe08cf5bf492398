"""Dependencies between nodes: `>>`, `<<`, lists of nodes, and the upstream/downstream id sets of a node."""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riir_airflow.authoring.dag import DAG
    from riir_airflow.authoring.edges import EdgeModifier
    from riir_airflow.authoring.taskgroup import TaskGroup

# Airflow's rules for ids: task and DAG ids may hold dots, group ids may not.
KEY_REGEX = re.compile(r"^[\w.-]+$")
GROUP_KEY_REGEX = re.compile(r"^[\w-]+$")
MAX_KEY_LENGTH = 250


def validate_key(key: str, max_length: int = MAX_KEY_LENGTH) -> None:
    """Checks a DAG or task id the way Airflow does, with Airflow's messages."""
    if not isinstance(key, str):
        raise TypeError(f"The key has to be a string and is {type(key)}:{key}")
    if len(key) > max_length:
        raise ValueError(f"The key has to be less than {max_length} characters, not {len(key)}")
    if not KEY_REGEX.match(key):
        raise ValueError(
            f"The key {key!r} has to be made of alphanumeric characters, dashes, dots, and underscores exclusively"
        )


def validate_group_key(key: str, max_length: int = MAX_KEY_LENGTH) -> None:
    """Checks a task group id."""
    if not isinstance(key, str):
        raise TypeError(f"The key has to be a string and is {type(key)}:{key}")
    if len(key) > max_length:
        raise ValueError(f"The key has to be less than {max_length} characters, not {len(key)}")
    if not GROUP_KEY_REGEX.match(key):
        raise ValueError(
            f"The key {key!r} has to be made of alphanumeric characters, dashes, and underscores exclusively"
        )


def as_list(value: Any) -> list[Any]:
    """A single node, or a sequence of them, as a list."""
    if type(value) is list or type(value) is tuple:  # (the common sequences, without the ABC check below)
        return list(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


class DependencyMixin:
    """Anything that can stand on either side of `>>` / `<<`: tasks, groups, XComArgs, edge labels."""

    @property
    @abstractmethod
    def roots(self) -> Sequence[Any]:
        """Tasks that an upstream edge into this node attaches to."""

    @property
    @abstractmethod
    def leaves(self) -> Sequence[Any]:
        """Tasks that a downstream edge out of this node leaves from."""

    @abstractmethod
    def set_upstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None: ...

    @abstractmethod
    def set_downstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None: ...

    def update_relative(self, other: DependencyMixin, upstream: bool = True, edge_modifier: Any = None) -> None:
        """Lets a node react to being linked (task groups record group-level edges)."""

    def __rshift__(self, other: Any) -> Any:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: Any) -> Any:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Any) -> Any:
        # [a, b] >> self
        self.__lshift__(other)
        return self

    def __rlshift__(self, other: Any) -> Any:
        # [a, b] << self
        self.__rshift__(other)
        return self

    def iter_references(self) -> Iterable[tuple[Any, str]]:
        """(operator, XCom key) pairs this object refers to; only XComArgs have any."""
        return ()


class DAGNode(DependencyMixin):
    """A task (mapped or not) in a DAG: its id, DAG, task group and direct relatives by id."""

    dag: DAG | None
    task_group: TaskGroup | None
    upstream_task_ids: set[str]
    downstream_task_ids: set[str]

    @property
    @abstractmethod
    def node_id(self) -> str: ...

    def has_dag(self) -> bool:
        return self.dag is not None

    @property
    def roots(self) -> list[Any]:
        return [self]

    @property
    def leaves(self) -> list[Any]:
        return [self]

    @property
    def upstream_list(self) -> list[Any]:
        if self.dag is None:
            raise RuntimeError(f"Operator {self} has not been assigned to a Dag yet")
        return [self.dag.get_task(tid) for tid in sorted(self.upstream_task_ids)]

    @property
    def downstream_list(self) -> list[Any]:
        if self.dag is None:
            raise RuntimeError(f"Operator {self} has not been assigned to a Dag yet")
        return [self.dag.get_task(tid) for tid in sorted(self.downstream_task_ids)]

    def get_direct_relative_ids(self, upstream: bool = False) -> set[str]:
        return self.upstream_task_ids if upstream else self.downstream_task_ids

    def get_direct_relatives(self, upstream: bool = False) -> list[Any]:
        return self.upstream_list if upstream else self.downstream_list

    def set_downstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None:
        self._set_relatives(other, upstream=False, edge_modifier=edge_modifier)

    def set_upstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None:
        self._set_relatives(other, upstream=True, edge_modifier=edge_modifier)

    def _set_relatives(self, others: Any, upstream: bool, edge_modifier: EdgeModifier | None) -> None:
        # (plain loops, no generator expressions: every `>>` of every DAG file passes here)
        is_operator = _is_operator or _import_is_operator()
        related: list[DAGNode] = []
        for obj in as_list(others):
            obj.update_relative(self, not upstream, edge_modifier=edge_modifier)
            for task in obj.leaves if upstream else obj.roots:
                if not is_operator(task):
                    raise TypeError(
                        f"Relationships can only be set between Operators; received {task.__class__.__name__}"
                    )
                related.append(task)

        # Relationships are only allowed inside one DAG; a task without a DAG joins the other's DAG.
        dag = self.dag
        task_dags = [dag]
        in_other_dags = False
        for task in related:
            task_dag = task.dag
            task_dags.append(task_dag)
            if task_dag is not None:
                if dag is None:
                    dag = task_dag
                elif task_dag is not dag:
                    in_other_dags = True
        if dag is None:
            raise ValueError(
                "Tried to create relationships between tasks that don't have Dags yet. "
                f"Set the Dag for at least one task and try again: {[self, *related]}"
            )
        if in_other_dags:
            names = ", ".join(sorted({id(d): f"<DAG: {d.dag_id}>" for d in task_dags if d is not None}.values()))
            raise RuntimeError(f"Tried to set relationships between tasks in more than one Dag: {{{names}}}")
        if task_dags[0] is None:
            dag.add_task(self)
        self_id = self.node_id
        for task, task_dag in zip(related, task_dags[1:], strict=True):
            if task_dag is None and task.dag is None:  # (a task listed twice is added once)
                dag.add_task(task)
            task_id = task.node_id
            if upstream:
                self.upstream_task_ids.add(task_id)
                task.downstream_task_ids.add(self_id)
            else:
                task.upstream_task_ids.add(self_id)
                self.downstream_task_ids.add(task_id)
            if edge_modifier is not None:
                up_id, down_id = (task_id, self_id) if upstream else (self_id, task_id)
                edge_modifier.add_edge_info(dag, up_id, down_id)


_is_operator: Callable[[Any], bool] | None = None


def _import_is_operator() -> Callable[[Any], bool]:
    """`baseoperator.is_operator`, imported on first use (that module imports this one) and kept: an import
    statement inside `_set_relatives` cost a look-up in the import system at every call."""
    global _is_operator
    from riir_airflow.authoring.baseoperator import is_operator

    _is_operator = is_operator
    return is_operator


class TaskNode(DAGNode):
    """What plain and mapped operators share: their label, output, relatives and effective priority."""

    # Attributes on operators; read-only properties over the partial arguments on mapped operators.
    task_id: str
    priority_weight: int
    weight_rule: Any

    @property
    def label(self) -> str:
        """The task id without its task group prefix."""
        group = self.task_group
        if group is not None and group.prefix_group_id and group.group_id:
            prefix = group.group_id + "."
            if self.task_id.startswith(prefix):
                return self.task_id[len(prefix) :]
        return self.task_id

    @property
    def output(self) -> Any:
        """The task's return value as an XComArg."""
        from riir_airflow.authoring.xcom_arg import XComArg

        return XComArg(operator=self)

    @property
    def priority_weight_total(self) -> int:
        """The effective priority: its own weight plus that of all downstream (or upstream) tasks."""
        from riir_airflow.authoring.trigger_rule import WeightRule

        if not WeightRule.is_valid(str(getattr(self.weight_rule, "value", self.weight_rule))):
            from riir_airflow.authoring.priority import validate_and_load_priority_weight_strategy

            # A custom strategy, asked when the task instance is created (try 0), as Airflow does.
            strategy = validate_and_load_priority_weight_strategy(self.weight_rule)
            return strategy.get_weight(_NewTaskInstance(self))
        if self.weight_rule == WeightRule.ABSOLUTE or self.dag is None:
            return self.priority_weight
        upstream = self.weight_rule == WeightRule.UPSTREAM
        relatives = self.get_flat_relative_ids(upstream=upstream)
        return self.priority_weight + int(sum(self.dag.task_dict[t].priority_weight for t in relatives))

    def get_flat_relative_ids(self, *, upstream: bool = False) -> set[str]:
        if self.dag is None:
            return set()
        graph = self.dag.graph()
        if upstream:
            return set(graph.upstream_closure(self.task_id))
        return set(graph.downstream_closure(self.task_id))

    def get_flat_relatives(self, upstream: bool = False) -> list[Any]:
        if self.dag is None:
            return []
        return [self.dag.task_dict[t] for t in self.get_flat_relative_ids(upstream=upstream)]


class _NewTaskInstance:
    """What a priority weight strategy sees of a task instance about to be created: its task, try 0."""

    def __init__(self, task: Any) -> None:
        self.task = task
        self.task_id = task.task_id
        self.dag_id = task.dag.dag_id if task.dag is not None else None
        self.map_index = -1
        self.try_number = 0
