"""Listener hooks: Airflow's hook specs (names and arguments of Airflow 3.3's `airflow.listeners.spec.*`), the
`hookimpl` marker listener modules decorate their functions with, and the one manager that calls them.

It is pluggy, as in Airflow, so a listener written for Airflow (`from airflow.listeners import hookimpl`, or its
own `pluggy.HookimplMarker("airflow")`) registers unchanged, and its functions are checked against the specs'
argument names when registered. Where riir calls each hook:

- `on_starting(component)` / `before_stopping(component)`: a DAG app starting and stopping;
- `on_dag_run_running|success|failed(dag_run, msg)`: the engine, when a run starts and ends (`dags test`, apps);
- `on_task_instance_running|success|failed|skipped(previous_state, task_instance[, error])`: in the task's own
  process, around `execute` (skipped: only when the task skips itself);
- `on_asset_changed(asset)` / `on_asset_event_emitted(asset_event)`: after a task's outlet events are recorded;
- `on_new_dag_import_error(filename, stacktrace)`: a DAG app whose file fails to load.

A listener that raises is logged with its traceback and does not change the run or the task's state (as in
Airflow's task runner).
"""

from __future__ import annotations

import functools
import logging
import sys
from typing import Any

import pluggy

log = logging.getLogger("airflow.listeners")

hookspec = pluggy.HookspecMarker("airflow")
hookimpl = pluggy.HookimplMarker("airflow")


class _Spec:
    """Namespaces of hook specs, one per Airflow spec module (pluggy reads the decorated functions)."""


class lifecycle(_Spec):
    @staticmethod
    @hookspec
    def on_starting(component: Any) -> None:
        """Before an Airflow component (here: a DAG app) starts."""

    @staticmethod
    @hookspec
    def before_stopping(component: Any) -> None:
        """Before an Airflow component (here: a DAG app) stops."""


class dagrun(_Spec):
    @staticmethod
    @hookspec
    def on_dag_run_running(dag_run: Any, msg: str) -> None:
        """A DAG run started running."""

    @staticmethod
    @hookspec
    def on_dag_run_success(dag_run: Any, msg: str) -> None:
        """A DAG run succeeded."""

    @staticmethod
    @hookspec
    def on_dag_run_failed(dag_run: Any, msg: str) -> None:
        """A DAG run failed."""


class taskinstance(_Spec):
    @staticmethod
    @hookspec
    def on_task_instance_running(previous_state: Any, task_instance: Any) -> None:
        """A task instance started running (in its task process)."""

    @staticmethod
    @hookspec
    def on_task_instance_success(previous_state: Any, task_instance: Any) -> None:
        """A task instance succeeded."""

    @staticmethod
    @hookspec
    def on_task_instance_failed(previous_state: Any, task_instance: Any, error: str | BaseException | None) -> None:
        """A task instance failed."""

    @staticmethod
    @hookspec
    def on_task_instance_skipped(previous_state: Any, task_instance: Any) -> None:
        """A task instance skipped itself while executing (AirflowSkipException)."""


class asset(_Spec):
    @staticmethod
    @hookspec
    def on_asset_created(asset: Any) -> None:
        """An asset was registered for the first time."""

    @staticmethod
    @hookspec
    def on_asset_alias_created(asset_alias: Any) -> None:
        """An asset alias was registered for the first time."""

    @staticmethod
    @hookspec
    def on_asset_changed(asset: Any) -> None:
        """An asset was updated by a task (an event was emitted for it)."""

    @staticmethod
    @hookspec
    def on_asset_event_emitted(asset_event: Any) -> None:
        """An asset event was emitted."""


class importerrors(_Spec):
    @staticmethod
    @hookspec
    def on_new_dag_import_error(filename: str, stacktrace: str) -> None:
        """A DAG file failed to import."""

    @staticmethod
    @hookspec
    def on_existing_dag_import_error(filename: str, stacktrace: str) -> None:
        """A DAG file that already failed to import still fails."""


SPECS = (lifecycle, dagrun, taskinstance, asset, importerrors)


class ListenerManager:
    """Registered listeners and the hook relay that calls them (Airflow's class, on pluggy)."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("airflow")

    def add_hookspecs(self, spec_module: Any) -> None:
        self.pm.add_hookspecs(spec_module)

    @property
    def has_listeners(self) -> bool:
        return bool(self.pm.get_plugins())

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def add_listener(self, listener: Any) -> None:
        if not self.pm.is_registered(listener):
            self.pm.register(listener)

    def clear(self) -> None:
        for plugin in self.pm.get_plugins():
            self.pm.unregister(plugin)


@functools.cache
def get_listener_manager() -> ListenerManager:
    """The process's listener manager, with every plugin's listeners registered."""
    from riir_airflow.plugins.manager import integrate_listener_plugins

    manager = ListenerManager()
    for spec in SPECS:
        manager.add_hookspecs(spec)
    integrate_listener_plugins(manager)
    return manager


def notify(hook_name: str, **kwargs: Any) -> None:
    """Calls every listener's `hook_name`; a listener that raises is logged and does not stop the caller."""
    manager = get_listener_manager()
    if not manager.has_listeners:
        return
    try:
        getattr(manager.hook, hook_name)(**kwargs)
    except Exception:
        log.exception("error calling listener %s", hook_name)
    finally:
        # Listeners often print; make it visible in the task log next to the lines it belongs to.
        sys.stdout.flush()
