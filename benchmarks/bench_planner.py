"""Planner throughput: `_core.Planner.plan()` on 1,000-task DAG run snapshots, in calls per second.

`python benchmarks/bench_planner.py` prints, per DAG shape, the time to build the planner and the calls per second
of one full scheduling pass (`Planner.plan()` on a snapshot), plus the cost per task instance; then the same turn the
way the engine plans since issue 19: the run's `RunPlan` kept across turns and fed one changed task instance.
Because the machine may be shared, it also prints the ratio to a load-independent yardstick measured in the same
run: building the same snapshot list in Python from a dict of states.

`--engine` adds the whole loop turn as the engine does it at 10,000 task instances (`RunEngine.schedule_run` over the
memory store `dags test` uses: the store's read of what changed since the engine's last read, feeding the run's
planner state, planning, and moving the next try to `scheduled`), one try ending per turn, with the store read timed
apart.

`--airflow` adds a side-by-side of the whole scheduling loop on the 100x10 layered DAG: real Airflow 3.3.2's
`dag.test(mark_success_pattern=".*")` (every pass is `DagRun.update_state`, tasks are marked success without
running) against the same loop driven by `Planner.plan()` over an in-memory dict of states.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from riir_airflow._core import Planner, RunPlan

sys.path.insert(0, str(Path(__file__).resolve().parent))

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
    import measure as bench_measure  # benchmarks/measure.py (this module's own `measure` times a call)

    run = bench_measure.Run("planner", {"seconds_per_repetition": 0.2, "repeat": 5})
    print(
        f"{'DAG shape':34} {'build ms':>9} {'plan calls/s':>13} {'us/call':>9} {'ns per TI':>10} {'to_run':>7}"
        f" {'plan / list build':>18}"
    )
    for name, make in [
        ("layered 100x10 (10k edges)", layered),
        ("fan-out 1 -> 999", fan_out),
        ("mapped x1000 (1,002 TIs)", mapped),
        # Issue 19's size: one loop turn of a 10,000-task DAG (target: under 1 ms).
        ("layered 1000x10 (10,000 TIs)", lambda: layered(1000, 10)),
        ("fan-out 1 -> 9,999", lambda: fan_out(10_000)),
        ("mapped x10000 (10,002 TIs)", lambda: mapped(10_000)),
    ]:
        start = time.perf_counter()
        planner, states = make()
        build_ms = (time.perf_counter() - start) * 1000
        ready = len(planner.plan(states)["to_run"])
        rates = [measure(lambda planner=planner, states=states: planner.plan(states), 0.2) for _ in range(5)]
        rate = sorted(rates)[len(rates) // 2]
        as_dict = {(t, i): s for t, i, s in states}
        list_rate = measure(lambda as_dict=as_dict: [(t, i, s) for (t, i), s in as_dict.items()])
        per_ti = 1e9 / rate / len(states)
        print(
            f"{name:34} {build_ms:9.1f} {rate:13,.0f} {1e6 / rate:9.1f} {per_ti:10.0f} {ready:7}"
            f" {list_rate / rate:17.1f}x"
        )
        # A whole snapshot planned from scratch: what `dags tasks` does, and the engine at a run's first turn only
        # (the per-turn path, with its target, is the next figure).
        run.figure(f"plan() of a whole snapshot (a run's first turn), {name}", "ms", [1e3 / r for r in rates])
        # The engine's way since issue 19: the run's RunPlan kept across turns, fed one changed instance per turn.
        kept = RunPlan(planner)
        kept.update(states)
        kept.plan()
        task_id, map_index, _ = next(s for s in states if s[2] is None)
        flip = itertools.cycle([[(task_id, map_index, "running")], [(task_id, map_index, None)]])

        def turn(kept: RunPlan = kept, flip: itertools.cycle[Snapshot] = flip) -> None:
            kept.update(next(flip))
            kept.plan()

        kept_rates = [measure(turn, 0.2) for _ in range(5)]
        print(f"{'  RunPlan kept, 1 change per turn':34} {'':>9} {sorted(kept_rates)[2]:13,.0f}"
              f" {1e6 / sorted(kept_rates)[2]:9.1f}")  # fmt: skip
        run.figure(
            f"RunPlan.update(1 change) + plan() per loop turn, {name}",
            "ms",
            [1e3 / r for r in kept_rates],
            target="< 1" if len(states) >= 10_000 else None,
        )
    run.notes.append(
        "One Planner.plan() call on a snapshot of the run's task states (the full planner, as `dags tasks` and the "
        "engine before issue 19 call it), 5 repetitions of about 0.2 s each; riir only."
    )
    if "--engine" in sys.argv[1:]:
        compare_engine_turns(run)
        run.notes.append(
            "Engine turn: RunEngine.schedule_run over the memory store, one try ended before each turn (300 turns); "
            "the store's read of the changes since the engine's last read is timed again apart (the turn includes it)."
        )
    print(f"results: {run.save()}")


AIRFLOW_DAG = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("bench_layered", schedule=None) as dag:
    rows = [[EmptyOperator(task_id=f"t{{layer}}_{{i}}") for i in range({width})] for layer in range({layers})]
    for above, below in zip(rows, rows[1:]):
        for up in above:
            up >> below
"""

AIRFLOW_RUN = """
import importlib.util, json, subprocess, sys, time
subprocess.run(["airflow", "db", "migrate"], check=True, capture_output=True)
spec = importlib.util.spec_from_file_location("bench_layered", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
start = time.perf_counter()
dr = module.dag.test(mark_success_pattern=".*")
print("RESULT " + json.dumps({"seconds": time.perf_counter() - start, "state": str(dr.state)}))
"""


def planner_loop(layers: int = 100, width: int = 10) -> tuple[float, int, str]:
    """The same loop as dag.test() with every ready task marked success, driven by Planner.plan()."""
    start = time.perf_counter()
    planner, _ = layered(layers, width)
    states: dict[tuple[str, int], str | None] = {(t, -1): None for t in planner.task_ids()}
    passes = 0
    while True:
        passes += 1
        result = planner.plan([(t, i, s) for (t, i), s in states.items()])
        for key in result["to_skip"]:
            states[key] = "skipped"
        for key in result["to_upstream_failed"]:
            states[key] = "upstream_failed"
        if result["run_state"] != "running":
            return time.perf_counter() - start, passes, result["run_state"]
        for key in result["to_run"]:
            states[key] = "success"


def compare_with_airflow(layers: int = 100, width: int = 10) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compat-tests"))
    from airflow_env import airflow_env, airflow_python

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        dags = home / "dags"
        dags.mkdir()
        dag_file = dags / "bench_layered.py"
        dag_file.write_text(AIRFLOW_DAG.format(layers=layers, width=width))
        env = airflow_env(home)
        env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
        proc = subprocess.run(
            [str(airflow_python()), "-c", textwrap.dedent(AIRFLOW_RUN), str(dag_file)],
            env=env,
            capture_output=True,
            text=True,
        )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        print("Airflow run failed:", proc.stderr[-3000:])
        return
    airflow = json.loads(line[len("RESULT ") :])
    ours, passes, state = planner_loop(layers, width)
    print(f"\nScheduling loop, layered {layers}x{width}, every task marked success ({passes} passes):")
    print(f"  Airflow 3.3.2 dag.test(mark_success_pattern='.*'): {airflow['seconds']:8.3f} s  run {airflow['state']}")
    print(f"  riir Planner loop:                                 {ours:8.3f} s  run {state}")
    print(f"  ratio: {airflow['seconds'] / ours:,.0f}x")


def engine_turns(kind: str, n: int = 10_000, turns: int = 300) -> dict[str, list[float]]:
    """Per-turn times (ms) of `RunEngine.schedule_run` over a MemoryStore, one try ending before each turn."""
    import pendulum

    from riir_airflow.engine.engine import RunEngine, run_sync
    from riir_airflow.engine.memory_store import MemoryStore
    from riir_airflow.providers.standard.operators.empty import EmptyOperator
    from riir_airflow.runtime.local import LocalRun, create_test_run
    from riir_airflow.sdk import DAG

    with DAG(f"turn_{kind}", schedule=None, max_active_tasks=32) as dag:
        if kind == "mapped":
            EmptyOperator.partial(task_id="m").expand(doc_md=[str(i) for i in range(n)])
        else:
            root = EmptyOperator(task_id="root")
            for i in range(n - 1):
                root >> EmptyOperator(task_id=f"leaf{i}")
    local = LocalRun(dag, create_test_run(dag))
    store = MemoryStore(local.runs)
    engine = RunEngine(dag, store, lambda task, xcoms: n)  # the literal's length, past [core] max_map_length
    run_id, now = local.runs.run.run_id, pendulum.now("UTC")
    records = local.runs.task_instances
    run_sync(engine.schedule_run(run_id, None, now))  # expands / schedules the first 32
    if kind == "fan-out":
        records[("root", -1)].state = "success"
        run_sync(engine.schedule_run(run_id, None, now))
    whole: list[float] = []
    read: list[float] = []
    for _ in range(turns):
        done = next(r for r in records.values() if r.state == "scheduled")
        done.state = "success"  # what the task runtime writes when a try ends
        cursor = engine.known_runs[run_id].cursor
        assert cursor is not None  # the memory store tells the changes since the engine's last read
        start = time.perf_counter()
        run_sync(store.task_state_changes(run_id, cursor))  # what the turn reads (a pure read: nothing moves)
        read.append((time.perf_counter() - start) * 1e3)
        start = time.perf_counter()
        decided = run_sync(engine.schedule_run(run_id, None, now))
        whole.append((time.perf_counter() - start) * 1e3)
        assert len(decided.ready) == 1, decided
    return {"whole": whole, "read": read}


def compare_engine_turns(run: Any) -> None:
    print(f"\n{'engine loop turn, 10,000 TIs':34} {'turn ms':>9} {'of which store read ms':>22}")
    for kind, label in [("mapped", "mapped x10000, 32 slots"), ("fan-out", "fan-out 1 -> 9,999, 32 slots")]:
        times = engine_turns(kind)
        whole, read = sorted(times["whole"]), sorted(times["read"])
        print(f"{label:34} {whole[len(whole) // 2]:9.3f} {read[len(read) // 2]:22.3f}")
        run.figure(f"engine turn (schedule_run, memory store), {label}", "ms", times["whole"], target="< 1")
        run.figure(f"  of which the store's read of the changes, {label}", "ms", times["read"])


if __name__ == "__main__":
    main()
    if "--airflow" in sys.argv[1:]:
        compare_with_airflow()
