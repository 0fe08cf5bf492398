"""No cyclic garbage collection while a process loads modules and DAG files.

Loading creates hundreds of thousands of objects that live as long as the process (modules, classes, operators):
every collection CPython triggers on the way would traverse them again, only to find nothing to free (about a tenth
of a `dags test`'s start-up). Pausing the collector while loading delays freeing the few cycles that become garbage
meanwhile until it runs again. At the end those objects are moved straight to the oldest generation, where two
young collections would have moved them (`gc.freeze()` then `gc.unfreeze()`: a list splice, no traversal), so the
first young collection after the pause does not traverse everything the load created; they stay collectable (a
full collection still looks at them). Not in a process holding frozen objects already (an app forked from the
zygote): unfreezing would hand those back to the collector, whose passes would then write to (and copy) the pages
it shares with the zygote.
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
        elif gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()  # into the oldest generation (see the module docstring)
        if was_enabled:
            gc.enable()
