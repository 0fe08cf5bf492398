"""`BaseNotifier`: a callback object (`on_failure_callback=MyNotifier(...)`) whose fields are templated."""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from typing import Any

from riir_airflow.authoring.templating import render_value, template_env_for

log = logging.getLogger(__name__)


class BaseNotifier:
    """Subclasses implement `notify(context)` (sync callbacks) and/or `async_notify(context)` (triggerer)."""

    template_fields: Sequence[str] = ()
    template_ext: Sequence[str] = ()

    def __init__(self, context: dict[str, Any] | None = None) -> None:
        self.context: dict[str, Any] = context or {}

    def render_template_fields(self, context: dict[str, Any], jinja_env: Any = None) -> None:
        env = jinja_env or template_env_for(context.get("dag"))
        for name in self.template_fields:
            value = getattr(self, name)
            setattr(self, name, render_value(value, context, env, template_ext=tuple(self.template_ext)))

    def _update_context(self, context: dict[str, Any]) -> dict[str, Any]:
        for name in self.template_fields:
            context.setdefault(name, getattr(self, name))
        return context

    async def async_notify(self, context: dict[str, Any]) -> None:
        raise NotImplementedError

    def notify(self, context: dict[str, Any]) -> None:
        raise NotImplementedError

    def __call__(self, *args: Any) -> None:
        """As a callback: `(context)`, or Airflow's SLA-miss form `(dag, task_list, blocking_task_list, ...)`."""
        if len(args) == 1:
            context = args[0]
        else:
            context = {"dag": args[0], "task_list": args[1], "blocking_task_list": args[2], "blocking_tis": args[3]}
        self._update_context(context)
        self.render_template_fields(context)
        try:
            self.notify(context)
        except Exception as exc:
            log.error("Failed to send notification (sync): %s", exc)
            raise

    def __await__(self) -> Generator[Any, None, None]:
        self._update_context(self.context)
        self.render_template_fields(self.context)
        return self.async_notify(self.context).__await__()
