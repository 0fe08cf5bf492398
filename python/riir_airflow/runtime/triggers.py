"""Running a deferred task's trigger: what the triggerer does with each one."""

from __future__ import annotations

import asyncio
from typing import Any


async def first_event(trigger: Any, timeout: float | None) -> Any:
    """Runs `trigger.run()` until it yields its first event (TimeoutError after `timeout` seconds)."""
    events = trigger.run()
    try:
        return await asyncio.wait_for(events.__anext__(), timeout)
    finally:
        await events.aclose()
