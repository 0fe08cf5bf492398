"""Real Airflow 3.3.2's side of the example-DAG comparison: structure facts and `airflow dags test` results, cached.

    python compat-tests/examples/reference.py [DAG_ID ...] [--force] [--verify]

Structure: compat-tests/structure/dump_facts.py on each example folder, run by the reference interpreter (cached by
compat_lib.airflow_output). Runs: `airflow dags test DAG_ID LOGICAL_DATE` with `[core] load_examples = True` (so
Airflow finds its example DAGs and loads the example plugins their timetables and weight strategies need), an empty
dags folder and a fresh copy of one migrated SQLite database per DAG; the database is then read exactly as the
behaviour suite does. Results are cached in ~/.cache/riir-airflow/compat/examples/<dag_id>-<key>.json, the key
hashing the harness version, the Airflow version, the date and the DAG's file, so fresh clones on a machine reuse
them and a fresh machine generates them (about 10 s per DAG, two at a time).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.metadata
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "behaviour"))

import cases  # noqa: E402
from airflow_env import airflow_env, airflow_python  # noqa: E402
from airflow_side import base_database, read_results  # noqa: E402  (the behaviour suite's database reader)
from common import sort_results  # noqa: E402
from compat_lib import airflow_output  # noqa: E402

DUMP = HERE.parent / "structure" / "dump_facts.py"
BATCH = HERE / "airflow_batch.py"
RUN_TIMEOUT = 600


def reference_providers() -> list[str]:
    """`dist==version` of each cases.REFERENCE_PROVIDERS distribution as installed in the project venv."""
    return [f"{dist}=={importlib.metadata.version(dist)}" for dist in cases.REFERENCE_PROVIDERS]


def ensure_reference_providers() -> None:
    """Airflow's venv gets the same versions of cases.REFERENCE_PROVIDERS as the project venv (no-op when it has)."""
    python = str(airflow_python())
    wanted = reference_providers()
    check = (
        "import importlib.metadata as m, sys\n"
        "sys.exit(any(m.version(d) != v for d, v in (w.split('==') for w in sys.argv[1:])))"
    )
    if subprocess.run([python, "-c", check, *wanted], capture_output=True).returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", *wanted], check=True)


def airflow_structure(name: str, folder: Path) -> dict[str, Any]:
    """Airflow's structural facts of one example folder (cached; the key names the reference providers and the UTC
    day: some examples read the clock when parsed, e.g. example_params_ui_tutorial's params default to today, so a
    reference parsed yesterday would differ from riir's parse today)."""
    ensure_reference_providers()
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    out = airflow_output(
        f"examples-structure-{name}", DUMP, [str(folder), "--impl", "airflow"], [folder],
        key=[*reference_providers(), f"parsed on {today}"],
    )  # fmt: skip
    facts: dict[str, Any] = json.loads(out)
    return facts


def run_key(dag_id: str, file: Path) -> str:
    digest = hashlib.sha256()
    for part in (cases.HARNESS_VERSION, cases.AIRFLOW_VERSION, dag_id, cases.LOGICAL_DATE, *reference_providers()):
        digest.update(part.encode() + b"\0")
    digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def result_path(dag_id: str, file: Path) -> Path:
    return cases.CACHE_DIR / f"{dag_id}-{run_key(dag_id, file)}.json"


def _home(tmp: Path, base_db: Path) -> dict[str, str]:
    """Environment of one reference process: a private home with a copy of the migrated database, examples on."""
    home, dags = tmp / "home", tmp / "dags"
    home.mkdir()
    dags.mkdir()
    (home / "airflow.db").write_bytes(base_db.read_bytes())
    env = airflow_env(home)
    env.update(AIRFLOW__CORE__LOAD_EXAMPLES="True", AIRFLOW__CORE__DAGS_FOLDER=str(dags))
    return env


def run_batch(dag_ids: list[str], base_db: Path, log: Path) -> dict[str, dict[str, Any]]:
    """`dag.test()` of several DAGs in one Airflow process (airflow_batch.py); dag_id -> results or {"error"}."""
    with tempfile.TemporaryDirectory(prefix="examples-batch-") as tmp:
        env = _home(Path(tmp), base_db)
        out = Path(tmp) / "out"
        out.mkdir()
        cmd = [str(airflow_python()), str(BATCH), str(out), cases.LOGICAL_DATE, *dag_ids]
        proc = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, timeout=RUN_TIMEOUT * len(dag_ids))
        log.write_text(
            f"$ {' '.join(cmd)}\nexit code {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
        results = {}
        for dag_id in dag_ids:
            path = out / f"{dag_id}.json"
            results[dag_id] = json.loads(path.read_text()) if path.exists() else {"error": f"no result; log: {log}"}
        return results


def run_alone(dag_id: str, base_db: Path, log: Path) -> dict[str, Any]:
    """`airflow dags test DAG_ID DATE` in its own process and home (for DAGs the batch could not run)."""
    with tempfile.TemporaryDirectory(prefix=f"examples-{dag_id}-") as tmp:
        env = _home(Path(tmp), base_db)
        cmd = ["airflow", "dags", "test", dag_id, cases.LOGICAL_DATE]
        proc = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        log.write_text(
            f"$ {' '.join(cmd)}\nexit code {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
        if "could not be found; either it does not exist or it failed to parse" in proc.stdout + proc.stderr:
            raise RuntimeError(f"{dag_id}: Airflow could not load the DAG; log: {log}")
        return read_results(Path(tmp) / "home" / "airflow.db", dag_id)


def airflow_runs(dag_files: dict[str, Path], *, force: bool = False, quiet: bool = False) -> dict[str, Path]:
    """Result file per DAG id, running Airflow only for DAGs whose cached result is missing or stale."""
    cases.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    targets = {dag_id: result_path(dag_id, file) for dag_id, file in dag_files.items()}
    todo = [dag_id for dag_id, path in targets.items() if force or not path.exists()]
    if not todo:
        return targets
    airflow_python()
    base_db = base_database()

    def store(dag_id: str, results: dict[str, Any]) -> None:
        target = targets[dag_id]
        for stale in cases.CACHE_DIR.glob(f"{dag_id}-*.json"):
            if stale != target:  # a result for an older version of the file or of the harness
                stale.unlink(missing_ok=True)
        target.write_text(json.dumps(sort_results(results), indent=1, sort_keys=True) + "\n")
        if not quiet:
            print(f"airflow: {dag_id}: run {results['run_state']}", flush=True)

    # Two batch processes at a time (Airflow is CPU-heavy and the machine is shared).
    halves = [todo[0::2], todo[1::2]]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        batches = list(
            pool.map(
                lambda part: run_batch(part[1], base_db, cases.CACHE_DIR / f"batch-{part[0]}.log"), enumerate(halves)
            )
        )
    retry = []
    for batch in batches:
        for dag_id, results in batch.items():
            if "error" in results:
                retry.append(dag_id)
            else:
                store(dag_id, results)
    failures = []
    for dag_id in retry:
        log = targets[dag_id].with_suffix(".log")
        try:
            store(dag_id, run_alone(dag_id, base_db, log))
        except Exception as exc:
            print(f"airflow: {dag_id}: {exc}", file=sys.stderr, flush=True)
            failures.append(dag_id)
    if not quiet:
        print(f"airflow: {len(todo)} DAG(s) run in {time.monotonic() - started:.0f}s", flush=True)
    if failures:
        raise SystemExit(f"airflow side: no results for {', '.join(failures)}")
    return targets


def dags_to_run(structures: dict[str, dict[str, Any]], selected: list[str] | None = None) -> dict[str, Path]:
    """dag_id -> its file, for every example DAG Airflow loads that is not in NOT_RUN."""
    folders = cases.example_folders()
    out: dict[str, Path] = {}
    for name, facts in structures.items():
        for dag_id, dag in facts["dags"].items():
            if dag_id not in cases.NOT_RUN and (not selected or dag_id in selected):
                out[dag_id] = folders[name] / dag["file"]
    return dict(sorted(out.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dag_ids", nargs="*", help="only these DAGs (default: every DAG that is run)")
    parser.add_argument("--force", action="store_true", help="ignore cached results")
    args = parser.parse_args()
    structures = {name: airflow_structure(name, folder) for name, folder in cases.example_folders().items()}
    paths = airflow_runs(dags_to_run(structures, args.dag_ids), force=args.force)
    for dag_id, path in paths.items():
        print(f"{dag_id:55} {json.loads(path.read_text())['run_state']!s:8} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
