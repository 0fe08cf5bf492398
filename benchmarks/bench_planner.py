"""Planner throughput: `_core.Planner.plan()` on 1,000-task DAG run snapshots, in calls per second.

`python benchmarks/bench_planner.py` prints, per DAG shape, the time to build the planner and the calls per second
of one scheduling pass (one call per loop turn of the run engine), plus the cost per task instance.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from riir_airflow._core import Planner

Snapshot = list[tuple[str, int, str | None]]


def layered(layers: int = 100, width: int = 10) -> tuple[Planner, Snapshot]:
    """100 layers of 10 tasks, each depending on every task of the layer above; the first half succeeded."""
    ids = [[f"t{layer}_{i}" for i in range(width)] for layer in range(layers)]
    edges = [(up, down) for above, below in itertools.pairwise(ids) for up in above for down in below]
    planner = Planner([{"task_id": t} for row in ids for t in row], edges)
    states: Snapshot = [(t, -1, "success" if n < layers // 2 else None) for n, row in enumerate(ids) for t in row]
    return planner, states


def fan_out(n: int = 1000) -> tuple[Planner, Snapshot]:
    """One root and 999 independent downstream tasks; the root succeeded, so all 999 are ready."""
    tasks = [{"task_id": "root"}] + [{"task_id": f"leaf{i}"} for i in range(n - 1)]
    planner = Planner(tasks, [("root", f"leaf{i}") for i in range(n - 1)])
    return planner, [("root", -1, "success")] + [(f"leaf{i}", -1, None) for i in range(n - 1)]


def mapped(n: int = 1000) -> tuple[Planner, Snapshot]:
    """make >> m (expanded to 1,000 instances, a third done) >> total."""
    tasks = [
        {"task_id": "make"},
        {"task_id": "m", "is_mapped": True, "mapped_dependencies": ["make"]},
        {"task_id": "total"},
    ]
    planner = Planner(tasks, [("make", "m"), ("m", "total")])
    states: Snapshot = [("make", -1, "success"), ("total", -1, None)]
    states += [("m", i, "success" if i % 3 == 0 else None) for i in range(n)]
    return planner, states


def measure(fn: Callable[[], object], seconds: float = 1.0) -> float:
    """Calls per second of `fn` over about `seconds`."""
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        calls += 1
    return calls / elapsed


def main() -> None:
    print(f"{'DAG shape':34} {'build ms':>9} {'plan calls/s':>13} {'us/call':>9} {'ns per TI':>10} {'to_run':>7}")
    for name, make in [
        ("layered 100x10 (10k edges)", layered),
        ("fan-out 1 -> 999", fan_out),
        ("mapped x1000 (1,002 TIs)", mapped),
    ]:
        start = time.perf_counter()
        planner, states = make()
        build_ms = (time.perf_counter() - start) * 1000
        ready = len(planner.plan(states)["to_run"])
        rate = measure(lambda planner=planner, states=states: planner.plan(states))
        per_ti = 1e9 / rate / len(states)
        print(f"{name:34} {build_ms:9.1f} {rate:13,.0f} {1e6 / rate:9.1f} {per_ti:10.0f} {ready:7}")


if __name__ == "__main__":
    main()
