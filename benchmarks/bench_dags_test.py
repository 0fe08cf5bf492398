"""`dags test` wall time: riir-airflow vs real apache-airflow on three 100-task DAGs, in one run.

Usage: python benchmarks/bench_dags_test.py [--only chain|fanout|expand ...] [--repeat 5] [--skip-airflow]
       [--skip-riir]

The DAGs: a chain of 100 no-op @task, a fan-out of 100 (one root, 100 parallel children), and one @task expanded
over 100 elements. Airflow runs `airflow dags test` in the reference venv against a fresh copy of an already
migrated SQLite home (migration is not timed; process start-up and DAG parsing are, for both). riir runs
`riir-airflow dags test FILE` from this venv, its modules compiled to bytecode first as an install would have them
(Airflow's venv was compiled by pip). The two sides alternate, `--repeat` times; each command's wall time and its
CPU time (user + system of the process and its children) are recorded (benchmarks/.out/dags_test.json), with the
ratio airflow / riir of the medians.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "compat-tests" / "behaviour"))
sys.path.insert(0, str(ROOT / "compat-tests"))

sys.path.insert(0, str(ROOT / "benchmarks"))

import measure  # noqa: E402
from airflow_env import AIRFLOW_VERSION, airflow_env  # noqa: E402
from harness import compile_bytecode  # noqa: E402


def _load_behaviour_airflow_side() -> Any:
    """compat-tests/behaviour/airflow_side.py, loaded by path: benchmarks/airflow_side.py has the same name and comes
    first on sys.path."""
    spec = importlib.util.spec_from_file_location(
        "behaviour_airflow_side", ROOT / "compat-tests" / "behaviour" / "airflow_side.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


base_database = _load_behaviour_airflow_side().base_database

LOGICAL_DATE = "2024-03-05T00:00:00+00:00"
HEADER = """import datetime

from airflow.sdk import dag, task


@task
def noop(x=None):
    return None

"""
DAGS = {
    "bench_chain_100": HEADER
    + """
@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def bench_chain_100():
    prev = None
    for i in range(100):
        t = noop.override(task_id=f"t{i:03d}")()
        if prev is not None:
            prev >> t
        prev = t


bench_chain_100()
""",
    "bench_fanout_100": HEADER
    + """
@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def bench_fanout_100():
    root = noop.override(task_id="root")()
    for i in range(100):
        root >> noop.override(task_id=f"leaf{i:03d}")()


bench_fanout_100()
""",
    "bench_expand_100": HEADER
    + """
@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def bench_expand_100():
    noop.expand(x=list(range(100)))


bench_expand_100()
""",
}
SHORT = {"chain": "bench_chain_100", "fanout": "bench_fanout_100", "expand": "bench_expand_100"}


class Timing(NamedTuple):
    wall: float
    cpu: float
    code: int


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> Timing:
    """Runs a command; its wall time and the CPU time of its process tree (children reaped by it included)."""
    before = os.times()
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return Timing(wall, cpu, proc.returncode)


def time_airflow(dag_id: str, workdir: Path) -> Timing:
    home = workdir / f"home-{dag_id}"
    dags = workdir / f"dags-{dag_id}"
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(dags, ignore_errors=True)
    home.mkdir()
    dags.mkdir()
    shutil.copy2(base_database(), home / "airflow.db")
    (dags / f"{dag_id}.py").write_text(DAGS[dag_id])
    env = airflow_env(home)
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
    return timed(["airflow", "dags", "test", dag_id, LOGICAL_DATE], env, workdir)


def time_riir(dag_id: str, workdir: Path) -> Timing:
    path = workdir / f"{dag_id}.py"
    path.write_text(DAGS[dag_id])
    compile_bytecode()
    exe = Path(sys.executable).parent / "riir-airflow"
    cmd = [str(exe) if exe.exists() else "riir-airflow", "dags", "test", str(path), LOGICAL_DATE]
    env = dict(os.environ, RIIR_AIRFLOW_COMPAT="1")
    return timed(cmd, env, workdir)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SHORT), help="run only these DAGs")
    parser.add_argument("--repeat", type=int, default=5, help="runs per side and DAG (default 5)")
    parser.add_argument("--skip-airflow", action="store_true")
    parser.add_argument("--skip-riir", action="store_true")
    args = parser.parse_args()
    dag_ids = [SHORT[s] for s in args.only] if args.only else list(DAGS)

    run = measure.Run("dags_test", {"dags": ",".join(dag_ids), "repeat": args.repeat})
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-dags-test-") as tmp:
        for dag_id in dag_ids:
            walls: dict[str, list[float]] = {"airflow": [], "riir": []}
            cpus: dict[str, list[float]] = {"airflow": [], "riir": []}
            for n in range(args.repeat):
                # Alternating sides, so a change in the machine's load weighs on both alike.
                for side, skip, timer in (
                    ("airflow", args.skip_airflow, time_airflow),
                    ("riir", args.skip_riir, time_riir),
                ):
                    if skip:
                        continue
                    timing = timer(dag_id, Path(tmp))
                    print(
                        f"  {dag_id} {side} {n + 1}/{args.repeat}: {timing.wall:.2f} s wall, {timing.cpu:.2f} s CPU"
                        + ("" if timing.code == 0 else f" (exit {timing.code}: not counted)")
                        + f", load {measure.loadavg()[0]}",
                        flush=True,
                    )
                    if timing.code == 0:  # a failed run is not a measurement
                        walls[side].append(timing.wall)
                        cpus[side].append(timing.cpu)
                    failed |= timing.code != 0
            run.figure(f"{dag_id}: wall time", "s", walls["riir"] or None, walls["airflow"] or None, target=(
                "airflow/riir >= 100x" if dag_id == "bench_chain_100" else None))  # fmt: skip
            run.figure(f"{dag_id}: CPU time", "s", cpus["riir"] or None, cpus["airflow"] or None)
    run.notes.append(
        f"Whole `dags test` commands: process start-up, imports, DAG parsing and the run; Airflow {AIRFLOW_VERSION} "
        "on its SQLite home "
        "(migrated beforehand, not timed), riir with no database."
    )
    if failed:
        run.notes.append("a side exited non-zero at least once; those runs are not counted")
    print(f"results: {run.save()}")
    run.print_table()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
