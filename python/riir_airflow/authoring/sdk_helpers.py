"""Task-SDK helpers that provider code imports from `airflow.sdk.*` internals (found by surveying the provider
wheels): the same names and behaviour as apache-airflow-task-sdk 1.3's."""

from __future__ import annotations

import functools
import importlib
import inspect
import itertools
import pkgutil
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from types import ModuleType
from typing import Any, NamedTuple

from riir_airflow.authoring.standard.python import determine_kwargs


class KeywordParameters:
    """`**kwargs` for a callable: only the keys it accepts, unless it takes `**kwargs` itself."""

    def __init__(self, kwargs: Mapping[str, Any]) -> None:
        self._kwargs = kwargs

    @classmethod
    def determine(cls, func: Callable[..., Any], args: Collection[Any], kwargs: Mapping[str, Any]) -> KeywordParameters:
        signature = inspect.signature(func)
        has_wildcard_kwargs = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
        for name, param in itertools.islice(signature.parameters.items(), len(args)):
            if param.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD):
                continue
            if name in kwargs:
                raise ValueError(f"The key {name!r} in args is a part of kwargs and therefore reserved.")
        if has_wildcard_kwargs:
            return cls(kwargs)
        return cls({key: kwargs[key] for key in signature.parameters if key in kwargs})

    def unpacking(self) -> Mapping[str, Any]:
        return self._kwargs


def make_kwargs_callable(func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` wrapped to accept any keyword arguments, passing on only those it takes."""

    def kwargs_func(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **determine_kwargs(func, args, kwargs))

    return kwargs_func


class TaskInstanceKey(NamedTuple):
    """Key used to identify a task instance."""

    dag_id: str
    task_id: str
    run_id: str
    try_number: int = 1
    map_index: int = -1

    @property
    def primary(self) -> tuple[str, str, str, int]:
        return self.dag_id, self.task_id, self.run_id, self.map_index

    def with_try_number(self, try_number: int) -> TaskInstanceKey:
        return TaskInstanceKey(self.dag_id, self.task_id, self.run_id, try_number, self.map_index)

    @property
    def key(self) -> TaskInstanceKey:
        return self

    @classmethod
    def from_dict(cls, dictionary: dict[str, Any]) -> TaskInstanceKey:
        return cls(**dictionary)

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


def context_merge(context: Any, *args: Any, **kwargs: Any) -> None:
    """`context.update(*args, **kwargs)`, as a free function (Context is a TypedDict)."""
    context.update(*args, **kwargs)


_DEFAULT = "airflow.ctx."
_ENV = "AIRFLOW_CTX_"
AIRFLOW_VAR_NAME_FORMAT_MAPPING = {
    f"AIRFLOW_CONTEXT_{key}": {"default": f"{_DEFAULT}{key.lower()}", "env_var_format": f"{_ENV}{key}"}
    for key in ("DAG_ID", "TASK_ID", "LOGICAL_DATE", "TRY_NUMBER", "DAG_RUN_ID", "DAG_OWNER", "DAG_EMAIL", "TEAM_NAME")
}


def iter_namespace(ns: ModuleType) -> Iterator[pkgutil.ModuleInfo]:
    return pkgutil.iter_modules(ns.__path__, ns.__name__ + ".")


_DOTPATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def is_valid_dotpath(path: str) -> bool:
    """Whether `path` looks like `package.module.Name`."""
    return isinstance(path, str) and bool(_DOTPATH.match(path))


def is_async_callable(func: Any) -> bool:
    """Whether `func` (possibly wrapped in partials or decorators, or an object with an async `__call__`) is async."""
    while isinstance(func, functools.partial):
        func = func.func
    func = inspect.unwrap(func) if callable(func) else func
    if not callable(func):
        return False
    if inspect.iscoroutinefunction(func):
        return True
    if not inspect.isfunction(func):
        call = type(func).__call__
        return inspect.iscoroutinefunction(inspect.unwrap(call))
    return False


def pod_mutation_hook(pod: Any) -> None:
    """Airflow's cluster policy: `pod_mutation_hook(pod)` from `airflow_local_settings` when it defines one."""
    try:
        local_settings = importlib.import_module("airflow_local_settings")
    except ModuleNotFoundError as err:
        if err.name != "airflow_local_settings":
            raise
        return
    hook = getattr(local_settings, "pod_mutation_hook", None)
    if callable(hook):
        hook(pod)


def _airflow_home() -> str:
    from riir_airflow.config import get_airflow_home

    return str(get_airflow_home())


# `airflow.settings.AIRFLOW_HOME`: read once at import, as Airflow does.
AIRFLOW_HOME = _airflow_home()
