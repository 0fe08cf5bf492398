"""Calling listener hooks (`notify`) from the engine and the task runtime, without loading pluggy when nobody
listens: no plugin has listeners and no code registered one (which needs `plugins.listeners`, hence pluggy,
imported). Most processes have no listener, and pluggy with importlib.metadata is a tenth of a `dags test`'s
start-up."""

from __future__ import annotations

import sys
from typing import Any

_LISTENERS_MODULE = "riir_airflow.plugins.listeners"


def notify(hook_name: str, **kwargs: Any) -> None:
    """Calls every listener's `hook_name` (see plugins.listeners.notify)."""
    if _LISTENERS_MODULE not in sys.modules:
        from riir_airflow.plugins.manager import get_plugins

        if not any(plugin.listeners for plugin in get_plugins()):
            return
    from riir_airflow.plugins.listeners import notify as call_listeners

    call_listeners(hook_name, **kwargs)
