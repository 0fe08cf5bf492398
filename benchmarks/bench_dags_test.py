"""`dags test` wall time: riir-airflow vs real apache-airflow on three 100-task DAGs, in one run.

Usage: python benchmarks/bench_dags_test.py [--only chain|fanout|expand ...] [--skip-airflow] [--skip-riir]

The DAGs: a chain of 100 no-op @task, a fan-out of 100 (one root, 100 parallel children), and one @task expanded
over 100 elements. Airflow runs `airflow dags test` in the reference venv against a fresh copy of an already
migrated SQLite home (migration is not timed; process start-up and DAG parsing are, for both). riir runs
`riir-airflow dags test FILE` from this venv. Prints each wall time and the ratio airflow / riir.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "compat-tests" / "behaviour"))
sys.path.insert(0, str(ROOT / "compat-tests"))

from airflow_env import AIRFLOW_VERSION, airflow_env  # noqa: E402
from airflow_side import base_database  # noqa: E402

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


def time_airflow(dag_id: str, workdir: Path) -> tuple[float, int]:
    home = workdir / f"home-{dag_id}"
    dags = workdir / f"dags-{dag_id}"
    home.mkdir()
    dags.mkdir()
    shutil.copy2(base_database(), home / "airflow.db")
    (dags / f"{dag_id}.py").write_text(DAGS[dag_id])
    env = airflow_env(home)
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
    started = time.monotonic()
    proc = subprocess.run(
        ["airflow", "dags", "test", dag_id, LOGICAL_DATE], env=env, cwd=workdir, capture_output=True, text=True
    )
    return time.monotonic() - started, proc.returncode


def time_riir(dag_id: str, workdir: Path) -> tuple[float, int]:
    path = workdir / f"{dag_id}.py"
    path.write_text(DAGS[dag_id])
    exe = Path(sys.executable).parent / "riir-airflow"
    cmd = [str(exe) if exe.exists() else "riir-airflow", "dags", "test", str(path), LOGICAL_DATE]
    env = dict(os.environ, RIIR_AIRFLOW_COMPAT="1")
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=workdir, capture_output=True, text=True)
    return time.monotonic() - started, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SHORT), help="run only these DAGs")
    parser.add_argument("--skip-airflow", action="store_true")
    parser.add_argument("--skip-riir", action="store_true")
    args = parser.parse_args()
    dag_ids = [SHORT[s] for s in args.only] if args.only else list(DAGS)

    print(f"dags test wall time, apache-airflow {AIRFLOW_VERSION} vs riir-airflow (one run each)")
    print(f"{'dag':20} {'airflow':>12} {'riir':>12} {'ratio':>8}")
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-dags-test-") as tmp:
        for dag_id in dag_ids:
            cells = []
            # A time counts only if that side's run succeeded; no ratio otherwise.
            a_time = r_time = None
            if not args.skip_airflow:
                seconds, code = time_airflow(dag_id, Path(tmp))
                cells.append(f"{seconds:10.2f}s" + ("" if code == 0 else f" (exit {code})"))
                a_time = seconds if code == 0 else None
                failed |= code != 0
            else:
                cells.append("-")
            if not args.skip_riir:
                seconds, code = time_riir(dag_id, Path(tmp))
                cells.append(f"{seconds:10.2f}s" + ("" if code == 0 else f" (exit {code})"))
                r_time = seconds if code == 0 else None
                failed |= code != 0
            else:
                cells.append("-")
            ratio = f"{a_time / r_time:7.1f}x" if a_time and r_time else "-"
            print(f"{dag_id:20} {cells[0]:>12} {cells[1]:>12} {ratio:>8}", flush=True)
    if failed:
        print("note: a side that exited non-zero failed its run; its time is not a measurement and has no ratio")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
