"""The DAG: a set of tasks with dependencies, a schedule and run-level settings; and the `@dag` decorator."""

from __future__ import annotations

import copy
import functools
import inspect
import os
import sys
import types
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pendulum

from riir_airflow import core_settings as settings
from riir_airflow._core import Graph
from riir_airflow.authoring.context_stack import DagContext, TaskGroupContext
from riir_airflow.authoring.node import validate_key
from riir_airflow.authoring.notset import NOTSET, ArgNotSet
from riir_airflow.authoring.params import DagParam, ParamsDict
from riir_airflow.authoring.taskgroup import TaskGroup
from riir_airflow.authoring.trigger_rule import TriggerRule
from riir_airflow.exceptions import (
    AirflowDagCycleException,
    DuplicateTaskIdFound,
    FailFastDagInvalidTriggerRule,
    ParamValidationError,
    TaskNotFound,
)

if TYPE_CHECKING:
    import jinja2


def _caller_file(depth: int = 2) -> str:
    frame = sys._getframe(depth)
    return frame.f_code.co_filename if frame else ""


def _to_aware(value: datetime | None, tz: Any) -> datetime | None:
    """Naive datetimes are read in the DAG's (or the default) time zone, as Airflow does."""
    if value is None:
        return None
    if value.tzinfo is None:
        return pendulum.instance(value, tz=tz)
    return value


def convert_to_utc(value: datetime | None, tz: Any = None) -> datetime | None:
    """The same instant in UTC (naive values are read in `tz`, default the configured zone), as Airflow stores it."""
    if value is None:
        return None
    if type(value) is pendulum.DateTime and value.tzinfo is pendulum.UTC and not value.fold:
        return value  # already what the conversion below gives (an equal, immutable value)
    aware = _to_aware(value, tz if tz is not None else settings.default_timezone())
    assert aware is not None
    return pendulum.instance(aware).in_timezone("UTC")


# Values deepcopy returns as they are; a dict of only these (with str keys) deep-copies as a plain copy.
_ATOMIC_TYPES = frozenset({str, int, float, bool, type(None)})


def _deep_copy(value: Any) -> Any:
    """`copy.deepcopy(value)`, without its machinery for the usual `default_args` (str keys, scalar values)."""
    if type(value) is dict and all(type(k) is str and type(v) in _ATOMIC_TYPES for k, v in value.items()):
        return dict(value)
    return copy.deepcopy(value)


# Modules imported on first use, then kept: an import statement in a function looks the module up in the import
# system at every call (about a microsecond), and a DagBag builds thousands of DAGs.
@functools.cache
def _timetables() -> types.ModuleType:
    from riir_airflow.schedules import timetables

    return timetables


@functools.cache
def _templating() -> types.ModuleType:
    from riir_airflow.authoring import templating

    return templating


class DAG:
    """A workflow: tasks, their dependencies, a schedule and run-level settings. Mirrors `airflow.sdk.DAG`."""

    def __init__(
        self,
        dag_id: str,
        *,
        description: str | None = None,
        schedule: Any = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        template_searchpath: str | Iterable[str] | None = None,
        template_undefined: type[jinja2.Undefined] | None = None,
        user_defined_macros: dict[str, Any] | None = None,
        user_defined_filters: dict[str, Any] | None = None,
        default_args: dict[str, Any] | None = None,
        max_active_tasks: int | None = None,
        max_active_runs: int | None = None,
        max_consecutive_failed_dag_runs: int | None = None,
        dagrun_timeout: timedelta | None = None,
        deadline: Any = None,
        sla_miss_callback: Any = None,
        catchup: bool | None = None,
        on_success_callback: Any = None,
        on_failure_callback: Any = None,
        doc_md: str | None = None,
        params: dict[str, Any] | None = None,
        access_control: dict[str, Any] | None = None,
        is_paused_upon_creation: bool | None = None,
        jinja_environment_kwargs: dict[str, Any] | None = None,
        render_template_as_native_obj: bool = False,
        tags: Collection[str] | None = None,
        owner_links: dict[str, str] | None = None,
        auto_register: bool = True,
        fail_fast: bool = False,
        dag_display_name: str | None = None,
        disable_bundle_versioning: bool = False,
        allowed_run_types: Any = None,
        rerun_with_latest_version: bool | None = None,
    ) -> None:
        validate_key(dag_id)
        self.dag_id = dag_id
        self.description = description
        self.default_args = _deep_copy(default_args or {})
        if not isinstance(self.default_args, dict):
            raise TypeError(f"default_args must be a dict, got {type(self.default_args)}")
        start_date = start_date if start_date is not None else self.default_args.get("start_date")
        end_date = end_date if end_date is not None else self.default_args.get("end_date")
        self.timezone = self._pick_timezone(start_date)
        # Stored in UTC; the DAG's zone is kept in `timezone` (Airflow does the same).
        self.start_date = convert_to_utc(start_date, self.timezone)
        self.end_date = convert_to_utc(end_date, self.timezone)
        for key in ("start_date", "end_date"):
            if self.default_args.get(key) is not None:
                self.default_args[key] = convert_to_utc(self.default_args[key], self.timezone)
        self.schedule = schedule
        self.template_searchpath = (
            [template_searchpath] if isinstance(template_searchpath, str) else template_searchpath
        )
        self._template_undefined = template_undefined
        self.user_defined_macros = user_defined_macros
        self.user_defined_filters = user_defined_filters
        self.max_active_tasks = (
            max_active_tasks if max_active_tasks is not None else settings.max_active_tasks_per_dag()
        )
        self.max_active_runs = max_active_runs if max_active_runs is not None else settings.max_active_runs_per_dag()
        self.max_consecutive_failed_dag_runs = (
            max_consecutive_failed_dag_runs
            if max_consecutive_failed_dag_runs is not None
            else settings.max_consecutive_failed_dag_runs_per_dag()
        )
        if dagrun_timeout is not None and not isinstance(dagrun_timeout, timedelta):
            raise TypeError("Dag.dagrun_timeout must be a timedelta")
        self.dagrun_timeout = dagrun_timeout
        self.deadline = deadline
        self.sla_miss_callback = sla_miss_callback
        self.catchup = catchup if catchup is not None else settings.catchup_by_default()
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.doc_md = doc_md
        self.params = ParamsDict(params)
        if "params" in self.default_args:
            from_default_args = ParamsDict(self.default_args["params"] or {})
            from_default_args.update(self.params)
            self.params = from_default_args
        self.access_control = access_control
        self.is_paused_upon_creation = is_paused_upon_creation
        self.jinja_environment_kwargs = jinja_environment_kwargs
        self.render_template_as_native_obj = render_template_as_native_obj
        self.tags: set[str] = set(tags or ())
        for tag in self.tags:
            if len(tag) > 100:
                raise ValueError(f"tag cannot be longer than 100 characters: {tag!r}")
        self.owner_links = dict(owner_links or {})
        self.auto_register = auto_register
        self.fail_fast = fail_fast
        self.dag_display_name = dag_display_name or dag_id
        self.disable_bundle_versioning = disable_bundle_versioning
        self.allowed_run_types = allowed_run_types
        self.rerun_with_latest_version = rerun_with_latest_version
        self.task_dict: dict[str, Any] = {}
        self.task_group = TaskGroup.create_root(self)
        self.edge_info: dict[str, dict[str, dict[str, Any]]] = {}
        self.fileloc = _caller_file()
        self.relative_fileloc = os.path.basename(self.fileloc)
        self.last_loaded: datetime | None = None
        self.partial = False
        self.has_on_success_callback = on_success_callback is not None
        self.has_on_failure_callback = on_failure_callback is not None
        if str(schedule) == "@continuous" and self.max_active_runs != 1:
            raise ValueError("Invalid max_active_runs: ContinuousTimetable requires max_active_runs <= 1")
        # Built now, as Airflow does, so a bad cron expression fails at the line that defines the DAG.
        self.timetable = _timetables().create_timetable(schedule, self.timezone)
        self._validate_params_for_schedule()
        if self.catchup and getattr(self.timetable, "can_be_scheduled", False) and self.start_date is None:
            raise ValueError("start_date is required when catchup=True")

    def _validate_params_for_schedule(self) -> None:
        """A DAG that runs on a schedule must have params that validate without any run conf."""
        if not getattr(self.timetable, "can_be_scheduled", False):
            return
        try:
            self.params.validate()
        except ParamValidationError as err:
            raise ValueError(
                f"Dag {self.dag_id!r} is not allowed to define a Schedule, as there are required params without "
                f"default values, or the default values are not valid."
            ) from err

    @staticmethod
    def _pick_timezone(start_date: datetime | None) -> Any:
        """The zone of start_date (a named zone, or a fixed offset), else [core] default_timezone."""
        if start_date is None or start_date.tzinfo is None:
            return settings.default_timezone()
        # What Airflow does: pendulum turns datetime.timezone.utc into its "UTC" zone, zoneinfo/pytz zones into named
        # zones and other offsets into fixed ones.
        zone = pendulum.instance(start_date, tz=start_date.tzinfo).timezone
        return zone if zone is not None else start_date.tzinfo

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"

    __hash__ = object.__hash__

    @property
    def template_undefined(self) -> type[jinja2.Undefined]:
        """The `Undefined` class of the DAG's templates: jinja2.StrictUndefined unless the DAG says otherwise (read
        when a template renders, so that defining a DAG does not import Jinja)."""
        if self._template_undefined is None:
            import jinja2

            return jinja2.StrictUndefined
        return self._template_undefined

    @template_undefined.setter
    def template_undefined(self, value: type[jinja2.Undefined]) -> None:
        self._template_undefined = value

    def __deepcopy__(self, memo: dict[int, Any]) -> DAG:
        # Tasks are copied per try with their DAG shared, never the whole DAG.
        return self

    # --- context manager -----------------------------------------------------------------------------------
    def __enter__(self) -> DAG:
        DagContext.push(self)
        return self

    def __exit__(self, *exc: object) -> None:
        DagContext.pop()

    # --- tasks -------------------------------------------------------------------------------------------------
    @property
    def tasks(self) -> list[Any]:
        return list(self.task_dict.values())

    @property
    def task_ids(self) -> list[str]:
        return list(self.task_dict)

    @property
    def task_group_dict(self) -> dict[str | None, TaskGroup]:
        return {k: v for k, v in self.task_group.get_task_group_dict().items() if k is not None}

    @property
    def roots(self) -> list[Any]:
        return [t for t in self.tasks if not t.upstream_task_ids]

    @property
    def leaves(self) -> list[Any]:
        return [t for t in self.tasks if not t.downstream_task_ids]

    @property
    def owner(self) -> str:
        # Airflow joins a set (its order varies with the string hash seed); first-seen order is the same owners,
        # stable across processes, so the serialized DAG and its hash do not change on every app restart.
        return ", ".join(dict.fromkeys(t.owner for t in self.tasks))

    @property
    def folder(self) -> str:
        return os.path.dirname(self.fileloc)

    @property
    def task(self) -> Any:
        """`@dag.task`: the task decorator bound to this DAG (Airflow's `functools.partial(task, dag=self)`)."""
        import functools

        from riir_airflow.authoring.decorators import task

        return functools.partial(task, dag=self)

    def add_task(self, task: Any) -> None:
        """Adds a task; its start/end dates are bounded by the DAG's, as in Airflow."""
        if task.dag is not None and task.dag is not self:
            raise ValueError(f"The dag assigned to {task} can not be changed.")
        if self.start_date is not None:
            if task.start_date is None:
                task.start_date = self.start_date
            else:
                task.start_date = max(convert_to_utc(task.start_date), self.start_date)  # type: ignore[type-var]
        if self.end_date is not None:
            if task.end_date is None:
                task.end_date = self.end_date
            else:
                task.end_date = min(convert_to_utc(task.end_date), self.end_date)  # type: ignore[type-var]
        task_id = task.node_id
        if task.task_group is None:
            group = TaskGroupContext.get_current(self)
            if group is not None:
                task_id = group.child_id(task_id)
                group.add(task)
        if (task_id in self.task_dict and self.task_dict[task_id] is not task) or (
            task_id in self.task_group.used_group_ids
        ):
            raise DuplicateTaskIdFound(f"Task id '{task_id}' has already been added to the DAG")
        self.task_dict[task_id] = task
        task.dag = self
        self.task_group.used_group_ids.add(task_id)
        FailFastDagInvalidTriggerRule.check(fail_fast=self.fail_fast, trigger_rule=task.trigger_rule)

    def add_tasks(self, tasks: Iterable[Any]) -> None:
        for task in tasks:
            self.add_task(task)

    def get_task(self, task_id: str) -> Any:
        if task_id in self.task_dict:
            return self.task_dict[task_id]
        raise TaskNotFound(f"Task {task_id} not found")

    def has_task(self, task_id: str) -> bool:
        return task_id in self.task_dict

    def __getitem__(self, task_id: str) -> Any:
        return self.get_task(task_id)

    def param(self, name: str, default: Any = NOTSET) -> DagParam:
        return DagParam(current_dag=self, name=name, default=default)

    def set_edge_info(self, upstream_task_id: str, downstream_task_id: str, info: dict[str, Any]) -> None:
        self.edge_info.setdefault(upstream_task_id, {})[downstream_task_id] = info

    def get_edge_info(self, upstream_task_id: str, downstream_task_id: str) -> dict[str, Any]:
        return self.edge_info.get(upstream_task_id, {}).get(downstream_task_id, {})

    # --- graph (Rust) ------------------------------------------------------------------------------------------
    def graph(self) -> Any:
        """The task graph in the Rust core (task ids in insertion order, edges sorted for determinism).

        Cached until a task or an edge is added (edges are only ever added, so their count tells)."""
        signature = (len(self.task_dict), sum(len(t.downstream_task_ids) for t in self.task_dict.values()))
        cached = self.__dict__.get("_graph_cache")
        if cached is not None and cached[0] == signature:
            return cached[1]
        edges = [(t.task_id, down) for t in self.task_dict.values() for down in sorted(t.downstream_task_ids)]
        graph = Graph(list(self.task_dict), edges)
        self.__dict__["_graph_cache"] = (signature, graph)
        return graph

    def check_cycle(self) -> None:
        """Raises AirflowDagCycleException naming the task whose edge closes a cycle, as Airflow does."""
        faulty = self.graph().find_cycle()
        if faulty is not None:
            raise AirflowDagCycleException(f"Cycle detected in Dag: {self.dag_id}. Faulty task: {faulty}")

    def topological_sort(self) -> list[Any]:
        self.check_cycle()
        return [self.task_dict[t] for t in self.graph().topological_order()]

    def validate(self) -> None:
        """What Airflow's DagBag checks before accepting a DAG (beyond cycles)."""
        self.timetable.validate()
        for task in self.tasks:
            if task.is_setup:
                for down in task.downstream_list:
                    if not down.is_teardown and down.trigger_rule != TriggerRule.ALL_SUCCESS:
                        raise ValueError("Setup tasks must be followed with trigger rule ALL_SUCCESS.")

    def partial_subset(
        self,
        task_ids: str | Iterable[str],
        include_downstream: bool = False,
        include_upstream: bool = True,
        include_direct_upstream: bool = False,
    ) -> DAG:
        """A copy of the DAG with only the matching tasks (and their up/downstream, when asked)."""
        import re

        patterns = [task_ids] if isinstance(task_ids, str) else list(task_ids)
        matched = [t for t in self.task_dict if any(re.search(p, t) for p in patterns)]
        keep = set(self.graph().subset(matched, include_upstream, include_downstream).task_ids())
        if include_direct_upstream:
            for t in list(keep):
                keep.update(self.task_dict[t].upstream_task_ids)
        subset = copy.copy(self)
        subset.task_dict = {}
        for task_id, task in self.task_dict.items():
            if task_id in keep:
                clone = copy.copy(task)
                clone.upstream_task_ids = task.upstream_task_ids & keep
                clone.downstream_task_ids = task.downstream_task_ids & keep
                subset.task_dict[task_id] = clone
                # The copy belongs to the subset (the dag setter refuses to move the original to another DAG).
                clone.__dict__["_dag"] = subset
        subset.partial = True
        return subset

    def resolve_template_files(self) -> None:
        resolve_template_files = _templating().resolve_template_files
        for task in self.tasks:
            resolve_template_files(task)

    def test(self, *args: Any, **kwargs: Any) -> Any:
        """Runs the DAG once in this process, without a database (see `riir-airflow dags test`)."""
        from riir_airflow.runtime.local import run_dag_locally

        return run_dag_locally(self, *args, **kwargs)


def dag(dag_id_or_func: str | Callable[..., Any] | None = None, **decorator_kwargs: Any) -> Any:
    """`@dag` / `@dag(...)`: the function body builds the DAG; its arguments become DAG params."""
    if callable(dag_id_or_func):
        return _dag_factory(dag_id_or_func, None, decorator_kwargs)

    def wrapper(f: Callable[..., Any]) -> Callable[..., DAG]:
        return _dag_factory(f, dag_id_or_func, decorator_kwargs)

    return wrapper


def _dag_factory(f: Callable[..., Any], dag_id: str | None, kwargs: dict[str, Any]) -> Callable[..., DAG]:
    dag_id = kwargs.pop("dag_id", None) or dag_id or f.__name__

    @functools.wraps(f)
    def factory(*args: Any, **call_kwargs: Any) -> DAG:
        bound = inspect.signature(f).bind(*args, **call_kwargs)
        bound.apply_defaults()
        with DAG(dag_id, **kwargs) as dag_obj:
            if f.__doc__ and not dag_obj.doc_md:
                dag_obj.doc_md = f.__doc__
            f_kwargs = {name: dag_obj.param(name, value) for name, value in bound.arguments.items()}
            dag_obj.fileloc = _caller_file()
            dag_obj.relative_fileloc = os.path.basename(dag_obj.fileloc)
            f(**f_kwargs)
        return dag_obj

    return factory


__all__ = ["DAG", "ArgNotSet", "dag"]
