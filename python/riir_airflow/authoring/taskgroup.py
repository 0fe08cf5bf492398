"""Task groups: named, nestable sets of tasks whose ids are prefixed with the group id."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from riir_airflow.authoring.context_stack import DagContext, TaskGroupContext
from riir_airflow.authoring.node import DAGNode, as_list, validate_group_key
from riir_airflow.exceptions import DuplicateTaskIdFound, TaskAlreadyInTaskGroup

if TYPE_CHECKING:
    from riir_airflow.authoring.dag import DAG
    from riir_airflow.authoring.edges import EdgeModifier


class TaskGroup(DAGNode):
    """A group of tasks (and groups). The DAG's root group has no id."""

    def __init__(
        self,
        group_id: str | None = None,
        group_display_name: str = "",
        prefix_group_id: bool = True,
        parent_group: TaskGroup | None = None,
        dag: DAG | None = None,
        default_args: dict[str, Any] | None = None,
        tooltip: str = "",
        ui_color: str = "CornflowerBlue",
        ui_fgcolor: str = "#000",
        add_suffix_on_collision: bool = False,
    ) -> None:
        self._group_id = group_id
        self.group_display_name = group_display_name
        self.prefix_group_id = prefix_group_id
        self.default_args = dict(default_args or {})
        self.tooltip = tooltip
        self.ui_color = ui_color
        self.ui_fgcolor = ui_fgcolor
        self.children: dict[str, DAGNode] = {}
        self.upstream_group_ids: set[str | None] = set()
        self.downstream_group_ids: set[str | None] = set()
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self.task_group = None
        if group_id is None:
            # The root group of a DAG.
            self.dag = dag
            self.parent_group: TaskGroup | None = None
            self.used_group_ids: set[str | None] = set()
            return
        dag = dag or DagContext.get_current()
        if dag is None:
            raise RuntimeError("TaskGroup can only be used inside a dag")
        self.dag = dag
        validate_group_key(group_id)
        parent = parent_group or TaskGroupContext.get_current(dag)
        self.parent_group = parent
        self.used_group_ids = parent.used_group_ids if parent is not None else set()
        self._avoid_id_collision(add_suffix_on_collision)
        if parent is not None:
            parent.add(self)
            if parent.default_args:
                self.default_args = {**parent.default_args, **self.default_args}
        self.used_group_ids.update({self.group_id, self.downstream_join_id, self.upstream_join_id})

    def _avoid_id_collision(self, add_suffix: bool) -> None:
        if self.group_id not in self.used_group_ids:
            return
        assert self._group_id is not None
        if not add_suffix:
            raise DuplicateTaskIdFound(f"group_id '{self._group_id}' has already been added to the DAG")
        base = re.split(r"__\d+$", self._group_id)[0]
        suffixes = sorted(
            int(used.rsplit("__", 1)[1])
            for used in self.used_group_ids
            if used is not None and re.match(rf"^{re.escape(base)}__\d+$", used)
        )
        self._group_id = f"{base}__{suffixes[-1] + 1}" if suffixes else f"{self._group_id}__1"

    @classmethod
    def create_root(cls, dag: DAG) -> TaskGroup:
        return cls(group_id=None, dag=dag)

    # --- ids -----------------------------------------------------------------------------------------------
    @property
    def group_id(self) -> str | None:
        parent = self.parent_group
        if parent is not None and parent.prefix_group_id and parent._group_id:
            return parent.child_id(self._group_id or "")
        return self._group_id

    @property
    def node_id(self) -> str:
        return self.group_id or ""

    @property
    def label(self) -> str | None:
        return self._group_id

    @property
    def is_root(self) -> bool:
        return not self._group_id

    @property
    def is_mapped(self) -> bool:
        return False

    @property
    def upstream_join_id(self) -> str:
        return f"{self.group_id}.upstream_join_id"

    @property
    def downstream_join_id(self) -> str:
        return f"{self.group_id}.downstream_join_id"

    def child_id(self, label: str) -> str:
        """`group.label` when ids are prefixed, else the label itself."""
        if self.prefix_group_id and self.group_id:
            return f"{self.group_id}.{label}"
        return label

    # --- membership ----------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Any]:
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                yield from child
            else:
                yield child

    def add(self, node: DAGNode) -> DAGNode:
        existing = node.task_group
        if not isinstance(node, TaskGroup) and existing is not None and existing is not self:
            raise TaskAlreadyInTaskGroup(node.node_id, existing.node_id or None, self.node_id)
        node.task_group = self
        key = node.node_id
        if key in self.children:
            kind = "Task Group" if isinstance(node, TaskGroup) else "Task"
            raise DuplicateTaskIdFound(f"{kind} id '{key}' has already been added to the Dag")
        if isinstance(node, TaskGroup):
            if self.dag is not None:
                if node.dag is not None and node.dag is not self.dag:
                    raise ValueError(f"Cannot mix TaskGroups from different Dags: {self.dag} and {node.dag}")
                node.dag = self.dag
            if node.children:
                raise ValueError("Cannot add a non-empty TaskGroup")
        self.children[key] = node
        return node

    def _remove(self, node: DAGNode) -> None:
        self.children.pop(node.node_id, None)

    def get_child_by_label(self, label: str) -> DAGNode:
        return self.children[self.child_id(label)]

    def get_task_group_dict(self) -> dict[str | None, TaskGroup]:
        """Every group under (and including) this one, by group id."""
        groups: dict[str | None, TaskGroup] = {self.group_id: self}
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                groups.update(child.get_task_group_dict())
        return groups

    def iter_tasks(self) -> Iterator[Any]:
        return iter(self)

    def iter_mapped_task_groups(self) -> Iterator[MappedTaskGroup]:
        """This group and the groups enclosing it that are mapped, innermost first."""
        group: TaskGroup | None = self
        while group is not None:
            if isinstance(group, MappedTaskGroup):
                yield group
            group = group.parent_group

    # --- dependencies --------------------------------------------------------------------------------------
    def get_roots(self) -> Iterator[Any]:
        """Tasks with no upstream inside the group."""
        tasks = list(self)
        ids = {t.task_id for t in tasks}
        for task in tasks:
            if task.upstream_task_ids.isdisjoint(ids):
                yield task

    def get_leaves(self) -> Iterator[Any]:
        """Tasks with no downstream inside the group; a teardown leaf is replaced by the work it tears down."""
        tasks = list(self)
        ids = {t.task_id for t in tasks}

        def has_non_teardown_downstream(task: Any, exclude: str) -> bool:
            return any(d.task_id != exclude and d.task_id in ids and not d.is_teardown for d in task.downstream_list)

        def first_non_teardown(task: Any) -> Iterator[Any]:
            for up in task.upstream_list:
                if up.task_id not in ids:
                    continue
                if up.is_teardown:
                    yield from first_non_teardown(up)
                elif task.is_teardown and up.is_setup:
                    continue
                elif not has_non_teardown_downstream(up, exclude=task.task_id):
                    yield up

        for task in tasks:
            if task.downstream_task_ids.isdisjoint(ids):
                if task.is_teardown:
                    yield from first_non_teardown(task)
                else:
                    yield task

    @property
    def roots(self) -> list[Any]:
        return list(self.get_roots())

    @property
    def leaves(self) -> list[Any]:
        return list(self.get_leaves())

    def update_relative(self, other: Any, upstream: bool = True, edge_modifier: Any = None) -> None:
        """Remembers group-level edges (the UI draws one edge between groups); `upstream`: other is upstream."""
        if isinstance(other, TaskGroup):
            parent, child = (self, other) if upstream else (other, self)
            parent.upstream_group_ids.add(child.group_id)
            child.downstream_group_ids.add(parent.group_id)
            return
        for task in other.roots:
            if task is self:
                continue
            (self.upstream_task_ids if upstream else self.downstream_task_ids).add(task.node_id)

    def _set_relatives(self, others: Any, upstream: bool, edge_modifier: EdgeModifier | None) -> None:
        others_list = as_list(others)
        leaves = self._leaves_for_downstream()
        for other in others_list:
            self.update_relative(other, upstream, edge_modifier=edge_modifier)
        if upstream:
            for task in self.get_roots():
                task.set_upstream(others_list, edge_modifier=edge_modifier)
        else:
            for task in leaves:
                task.set_downstream(others_list, edge_modifier=edge_modifier)

    def _leaves_for_downstream(self) -> list[Any]:
        # An empty group passes edges through from its own upstream (or its parent's).
        group: TaskGroup | None = self
        while group is not None:
            leaves = list(group.get_leaves())
            if leaves:
                return leaves
            if group.upstream_task_ids and self.dag is not None:
                return [self.dag.get_task(t) for t in sorted(group.upstream_task_ids)]
            group = group.parent_group
        return []

    def __enter__(self) -> TaskGroup:
        TaskGroupContext.push(self)
        return self

    def __exit__(self, *exc: object) -> None:
        TaskGroupContext.pop()

    def __repr__(self) -> str:
        return f"<TaskGroup: {self.group_id}>"

    __hash__ = object.__hash__

    def topological_sort(self) -> list[DAGNode]:
        """Children in dependency order (groups treated as one node), ties in insertion order."""
        from riir_airflow._core import Graph

        children = list(self.children.values())
        member_of: dict[str, str] = {}
        for child in children:
            if isinstance(child, TaskGroup):
                for task in child:
                    member_of[task.task_id] = child.node_id
            else:
                member_of[child.node_id] = child.node_id
        graph = Graph([c.node_id for c in children])
        for child in children:
            tasks = list(child) if isinstance(child, TaskGroup) else [child]
            for task in tasks:
                for down in sorted(task.downstream_task_ids):
                    target = member_of.get(down)
                    if target is not None and target != child.node_id:
                        graph.add_edge(child.node_id, target)
        return [self.children[node_id] for node_id in graph.topological_order()]


class MappedTaskGroup(TaskGroup):
    """A task group expanded once per input element at run time; its tasks share the map index."""

    def __init__(self, *, expand_input: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._expand_input = expand_input

    @property
    def is_mapped(self) -> bool:
        return True

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        from riir_airflow.authoring.xcom_arg import XComArg

        # Tasks inside depend on whatever the expansion input comes from.
        for operator, _ in XComArg.iter_xcom_references(self._expand_input.value):
            for task in self.get_roots():
                if operator.task_id not in task.upstream_task_ids:
                    task.set_upstream(operator)


class _TaskGroupFactory:
    """What `@task_group` returns: calling it builds the group; `.expand(...)` builds a mapped group."""

    def __init__(self, function: Callable[..., Any], tg_kwargs: dict[str, Any]) -> None:
        self.function = function
        self.tg_kwargs = tg_kwargs
        self.partial_kwargs: dict[str, Any] = {}
        functools.update_wrapper(self, function)

    def override(self, **kwargs: Any) -> _TaskGroupFactory:
        return _TaskGroupFactory(self.function, {**self.tg_kwargs, **kwargs})

    def _group_kwargs(self) -> dict[str, Any]:
        kwargs = dict(self.tg_kwargs)
        kwargs.setdefault("group_id", self.function.__name__)
        if not kwargs.get("tooltip") and self.function.__doc__:
            kwargs["tooltip"] = self.function.__doc__
        kwargs.setdefault("add_suffix_on_collision", True)
        return kwargs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        group = TaskGroup(**self._group_kwargs())
        with group:
            inspect.signature(self.function).bind(*args, **kwargs)
            result = self.function(*args, **kwargs)
        return _group_result(group, result)

    def partial(self, **kwargs: Any) -> _TaskGroupFactory:
        factory = _TaskGroupFactory(self.function, self.tg_kwargs)
        factory.partial_kwargs = {**self.partial_kwargs, **kwargs}
        return factory

    def expand(self, **kwargs: Any) -> Any:
        from riir_airflow.authoring.mapped import DictOfListsExpandInput, validate_mapping_values
        from riir_airflow.authoring.xcom_arg import XComArg

        validate_mapping_values("expand", kwargs)
        expand_input = DictOfListsExpandInput(kwargs)
        group = MappedTaskGroup(expand_input=expand_input, **self._group_kwargs())
        with group:
            # Inside the group each argument is a reference that resolves per map index at run time.
            call_kwargs = {**self.partial_kwargs, **{k: _MappedArgument(expand_input, k) for k in kwargs}}
            result = self.function(**call_kwargs)
        for operator, _ in XComArg.iter_xcom_references(list(kwargs.values())):
            for task in group.get_roots():
                task.set_upstream(operator)
        return _group_result(group, result)

    def expand_kwargs(self, kwargs: Any) -> Any:
        from riir_airflow.authoring.mapped import ListOfDictsExpandInput
        from riir_airflow.authoring.xcom_arg import XComArg

        expand_input = ListOfDictsExpandInput(kwargs)
        group = MappedTaskGroup(expand_input=expand_input, **self._group_kwargs())
        names = list(inspect.signature(self.function).parameters)
        with group:
            call_kwargs = {**self.partial_kwargs, **{k: _MappedArgument(expand_input, k) for k in names}}
            result = self.function(**call_kwargs)
        for operator, _ in XComArg.iter_xcom_references(kwargs):
            for task in group.get_roots():
                task.set_upstream(operator)
        return _group_result(group, result)


def _group_result(group: TaskGroup, result: Any) -> Any:
    # Airflow returns the function's result when it is a node (so `group_fn() >> x` links its output),
    # and the group otherwise.
    from riir_airflow.authoring.node import DependencyMixin

    if isinstance(result, DependencyMixin):
        return result
    return group


class _MappedArgument:
    """A mapped task group's argument: resolves to this map index's element of the expansion input."""

    def __init__(self, expand_input: Any, key: str) -> None:
        self._input = expand_input
        self._key = key

    def iter_references(self) -> Iterator[tuple[Any, str]]:
        from riir_airflow.authoring.xcom_arg import XComArg

        return XComArg.iter_xcom_references(self._input.value)

    def __deepcopy__(self, memo: dict[int, Any]) -> _MappedArgument:
        return self

    def resolve(self, context: Any) -> Any:
        values = self._input.resolve_for_index(context, context["ti"].map_index)
        return values[self._key]


def task_group(python_callable: Callable[..., Any] | None = None, **tg_kwargs: Any) -> Any:
    """`@task_group` / `@task_group(group_id=..., ...)`: a function whose body builds a task group."""
    if callable(python_callable):
        return _TaskGroupFactory(python_callable, tg_kwargs)

    def decorator(f: Callable[..., Any]) -> _TaskGroupFactory:
        return _TaskGroupFactory(f, tg_kwargs)

    return decorator


__all__: Sequence[str] = ["MappedTaskGroup", "TaskGroup", "task_group"]
