"""Runs each behaviour DAG with `airflow dags test` under real apache-airflow and records what Airflow stored.

Usage: python compat-tests/behaviour/airflow_side.py [DAG_ID ...] [--force] [--jobs N]

Every DAG runs in its own fresh AIRFLOW_HOME (a copy of one migrated SQLite database), with a dags folder that
holds only that DAG file and the shared support files, so runs cannot see each other. After the run the metadata
database is read and one results JSON is written per DAG (shape: README.md). Results are cached in
~/.cache/riir-airflow/compat/behaviour/ keyed by a hash of the DAG file, its support files, its options and the
Airflow version; the run's log sits next to each result.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from airflow_env import AIRFLOW_VERSION, airflow_env, airflow_python
from common import (
    CACHE_DIR,
    DAGS_DIR,
    Case,
    all_cases,
    case_key,
    collect_files,
    normalize,
    sort_results,
    support_files,
    task_environment,
)

BASE_HOME = CACHE_DIR / f"home-{AIRFLOW_VERSION}"
# A run that takes longer than this is stuck (e.g. a sensor that never times out); it is killed and reported.
RUN_TIMEOUT = 600


def base_database() -> Path:
    """A migrated, empty metadata database; created once and copied for every run."""
    db = BASE_HOME / "airflow.db"
    BASE_HOME.mkdir(parents=True, exist_ok=True)
    with open(BASE_HOME / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (BASE_HOME / ".migrated").exists():
            airflow_python()
            subprocess.run(
                ["airflow", "db", "migrate"], env=airflow_env(BASE_HOME), check=True, capture_output=True, text=True
            )
            (BASE_HOME / ".migrated").write_text(AIRFLOW_VERSION + "\n")
    return db


def result_path(case: Case) -> Path:
    return CACHE_DIR / f"{case.dag_id}-{case_key(case, AIRFLOW_VERSION)}.json"


def json_column(raw: Any) -> Any:
    """Value of a JSON column: SQLite gives JSON numbers back as int/float (numeric affinity), the rest as text."""
    if raw is None or isinstance(raw, (int, float)):
        return raw
    return json.loads(raw)


def read_results(db: Path, dag_id: str) -> dict[str, Any]:
    """The final state of the (single) run of `dag_id`, as stored in Airflow's metadata database."""
    con = sqlite3.connect(db)
    try:
        runs = con.execute("SELECT run_id, state FROM dag_run WHERE dag_id = ?", (dag_id,)).fetchall()
        if not runs:
            # `dags test` refused to create the run (e.g. --conf failing params validation).
            return {"dag_id": dag_id, "run_state": None, "task_instances": [], "xcoms": [], "rendered_fields": []}
        if len(runs) != 1:
            raise RuntimeError(f"expected one dag run of {dag_id}, found {len(runs)}")
        run_id, run_state = runs[0]
        tis = [
            {"task_id": t, "map_index": m, "state": s, "try_number": n}
            for t, m, s, n in con.execute(
                "SELECT task_id, map_index, state, try_number FROM task_instance WHERE dag_id = ? AND run_id = ?",
                (dag_id, run_id),
            )
        ]
        xcoms = [
            {"task_id": t, "map_index": m, "key": k, "value": json_column(v)}
            for t, m, k, v in con.execute(
                "SELECT task_id, map_index, key, value FROM xcom WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)
            )
        ]
        rendered = [
            {"task_id": t, "map_index": m, "fields": json_column(f)}
            for t, m, f in con.execute(
                "SELECT task_id, map_index, rendered_fields FROM rendered_task_instance_fields"
                " WHERE dag_id = ? AND run_id = ?",
                (dag_id, run_id),
            )
        ]
    finally:
        con.close()
    return {
        "dag_id": dag_id,
        "run_state": run_state,
        "task_instances": tis,
        "xcoms": xcoms,
        "rendered_fields": rendered,
    }


def run_case(case: Case, base_db: Path, target: Path) -> tuple[dict[str, Any], float]:
    """Runs one DAG under Airflow in a throw-away home; returns its results and the wall time."""
    with tempfile.TemporaryDirectory(prefix=f"behaviour-{case.dag_id}-") as tmp:
        home = Path(tmp) / "home"
        dags = Path(tmp) / "dags"
        out = Path(tmp) / "out"
        home.mkdir()
        out.mkdir()
        dags.mkdir()
        shutil.copy2(base_db, home / "airflow.db")
        shutil.copy2(case.path, dags / case.path.name)
        for extra in support_files():
            copy = dags / extra.relative_to(DAGS_DIR)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(extra, copy)
        env = airflow_env(home)
        env.update(task_environment(case, out))
        env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
        cmd = ["airflow", "dags", "test", case.dag_id, case.logical_date]
        if case.conf is not None:
            cmd += ["--conf", case.conf]
        started = time.monotonic()
        proc = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        elapsed = time.monotonic() - started
        log = f"$ {' '.join(cmd)}\nexit code {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        target.with_suffix(".log").write_text(log)
        if "could not be found; either it does not exist or it failed to parse" in proc.stdout + proc.stderr:
            raise RuntimeError(f"{case.dag_id}: the DAG file failed to import; log: {target.with_suffix('.log')}")
        try:
            results = read_results(home / "airflow.db", case.dag_id)
        except Exception as exc:
            raise RuntimeError(f"{case.dag_id}: no results ({exc!r}); log: {target.with_suffix('.log')}") from exc
        results["files"] = collect_files(out)
        return sort_results(results), elapsed


def airflow_results(cases: list[Case], *, force: bool = False, jobs: int = 2, quiet: bool = False) -> dict[str, Path]:
    """Result file of every case, running Airflow only for cases whose cached result is missing or stale."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    todo = [c for c in cases if force or not result_path(c).exists()]
    if todo:
        base_db = base_database()

        targets = {c.dag_id: result_path(c) for c in todo}

        def one(case: Case) -> bool:
            try:
                results, elapsed = run_case(case, base_db, targets[case.dag_id])
            except Exception as exc:
                print(f"airflow: {case.dag_id}: {exc}", file=sys.stderr, flush=True)
                return False
            targets[case.dag_id].write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
            if not quiet:
                print(f"airflow: {case.dag_id}: run {results['run_state']} in {elapsed:.1f}s", flush=True)
            return True

        # Airflow's `dags test` is CPU-heavy; at most two at a time on this shared machine.
        with ThreadPoolExecutor(max_workers=max(1, min(jobs, 2))) as pool:
            errors = [ok for ok in pool.map(one, todo) if not ok]
        if errors:
            raise SystemExit(f"airflow side: {len(errors)} DAG(s) produced no results")
    return {c.dag_id: result_path(c) for c in cases}


def verify(cases: list[Case]) -> int:
    """Determinism check of Airflow's own results: a second run must give the same (normalized) results."""
    paths = airflow_results(cases)
    base_db = base_database()
    unstable = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            again, _ = run_case(case, base_db, Path(tmp) / f"{case.dag_id}.json")
            cached = json.loads(paths[case.dag_id].read_text())
            same = normalize(sort_results(cached)) == normalize(again)
            print(f"verify: {case.dag_id}: {'same' if same else 'DIFFERENT'}", flush=True)
            if not same:
                unstable.append(case.dag_id)
    return 1 if unstable else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dag_ids", nargs="*", help="only these DAGs (default: all in dags/)")
    parser.add_argument("--force", action="store_true", help="ignore cached results")
    parser.add_argument("--jobs", type=int, default=2, help="parallel runs (at most 2)")
    parser.add_argument(
        "--verify", action="store_true", help="run again and report DAGs whose results differ from the cached ones"
    )
    args = parser.parse_args()
    if args.verify:
        return verify(all_cases(args.dag_ids))
    paths = airflow_results(all_cases(args.dag_ids), force=args.force, jobs=args.jobs)
    for dag_id, path in paths.items():
        state = json.loads(path.read_text())["run_state"]
        print(f"{dag_id:40} {state:8} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
