"""`BaseAsyncOperator`: an operator whose work is a coroutine (`aexecute`), run on the worker in an event loop.

Unlike a deferrable operator nothing moves to the triggerer; `execute()` simply drives `aexecute()` to completion,
bounded by `execution_timeout` as Airflow does.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any

from riir_airflow.authoring.baseoperator import BaseOperator


class BaseAsyncOperator(BaseOperator):
    @property
    def is_async(self) -> bool:
        return True

    async def aexecute(self, context: Any) -> Any:
        """The operator's work; subclasses implement it."""
        raise NotImplementedError()

    async def _bounded(self, context: Any) -> Any:
        import asyncio

        if self.execution_timeout:
            return await asyncio.wait_for(self.aexecute(context), timeout=self.execution_timeout.total_seconds())
        return await self.aexecute(context)

    def execute(self, context: Any) -> Any:
        # Imported here: DAG files import this module (through airflow.sdk) whether or not they run coroutines.
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._bounded(context))
        # Called from code that already runs an event loop in this thread: use a private loop on a helper
        # thread (with this thread's context variables, so get_current_context() keeps working).
        outcome: dict[str, Any] = {}
        ctx = contextvars.copy_context()

        def run() -> None:
            try:
                outcome["value"] = ctx.run(asyncio.run, self._bounded(context))
            except BaseException as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=run, name=f"aexecute-{self.task_id}")
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")
