"""No cyclic garbage collection while a process loads modules and DAG files.

Loading creates hundreds of thousands of objects that live as long as the process (modules, classes, operators):
every collection CPython triggers on the way would traverse them again, only to find nothing to free (about a tenth
of a `dags test`'s start-up). Pausing the collector while loading delays freeing the few cycles that become garbage
meanwhile until it runs again; nothing else changes.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc(*, freeze: bool = False) -> Iterator[None]:
    """The collector off for the block, then back as it was (nested pauses are fine). With `freeze`, what is alive
    at the end is first moved out of the collector's sight (`gc.freeze`) until `gc.unfreeze()`: a command that
    loaded a DAG then runs it without every collection traversing the loaded objects again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()
