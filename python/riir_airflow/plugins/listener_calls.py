"""Calling listener hooks (`notify`) from the engine and the task runtime, without loading pluggy when nobody
listens: no plugin has listeners and no code registered one (which needs `plugins.listeners`, hence pluggy,
imported). Most processes have no listener, and pluggy with importlib.metadata is a tenth of a `dags test`'s
start-up."""

from __future__ import annotations

import sys
from typing import Any

_LISTENERS_MODULE = "riir_airflow.plugins.listeners"


def has_listeners() -> bool:
    """Whether any listener is registered: by a plugin, or by code (which imported `plugins.listeners`)."""
    if _LISTENERS_MODULE in sys.modules:
        return bool(sys.modules[_LISTENERS_MODULE].get_listener_manager().has_listeners)
    from riir_airflow.plugins.manager import get_plugins

    return any(plugin.listeners for plugin in get_plugins())


def notify(hook_name: str, **kwargs: Any) -> None:
    """Calls every listener's `hook_name` (see plugins.listeners.notify)."""
    if not has_listeners():
        return
    from riir_airflow.plugins.listeners import notify as call_listeners

    call_listeners(hook_name, **kwargs)
