"""gc_pause.paused_gc: no collection inside the block; what it created goes to the oldest generation, collectable;
nothing frozen elsewhere is handed back to the collector."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from pathlib import Path

from riir_airflow.gc_pause import paused_gc


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def in_generation(obj: object, generation: int) -> bool:
    return any(candidate is obj for candidate in gc.get_objects(generation=generation))


def test_objects_made_while_paused_go_to_the_oldest_generation_and_stay_collectable() -> None:
    """In a fresh interpreter: no other test's `gc.freeze()` (a `dags test` run in-process) in the way."""
    code = textwrap.dedent(
        """
        import gc
        from riir_airflow.gc_pause import paused_gc
        from tests.test_gc_pause import Node, in_generation

        assert gc.get_freeze_count() == 0
        collections = gc.get_stats()[0]["collections"]
        with paused_gc():
            assert not gc.isenabled()
            kept = [Node() for _ in range(2000)]  # far past the young generation's threshold
            assert gc.get_stats()[0]["collections"] == collections
        assert gc.isenabled()
        assert in_generation(kept[0], 2) and not in_generation(kept[0], 0)
        assert gc.get_freeze_count() == 0
        del kept
        assert gc.collect() >= 2000  # the cycles are freed by a full collection
        print("ok")
        """
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_objects_frozen_before_stay_frozen() -> None:
    """Checked on the objects frozen here, not on the frozen count: other threads of a test process (servers of
    earlier tests) may free frozen objects of their own meanwhile, which lowers the count."""
    frozen = [Node() for _ in range(100)]
    gc.freeze()
    try:
        with paused_gc():
            young = Node()
        tracked = {id(obj) for obj in gc.get_objects()}  # every generation but the frozen objects
        assert not any(id(obj) in tracked for obj in frozen)  # nothing unfrozen
        assert not in_generation(young, 2)
    finally:
        gc.unfreeze()
        del frozen
        gc.collect()
