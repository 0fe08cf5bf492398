"""DagBag loading: 1,000 generated DAG files (10 tasks each) under real Airflow 3.3.2 and under riir_airflow.

    python benchmarks/bench_dagbag.py [--files 1000] [--tasks 10] [--repeat 5] [--keep DIR]

The files use plain `from airflow...` imports (a mix of @task functions and classic operators, several schedules).
Real Airflow runs in its reference venv (compat-tests/airflow_env.py); riir runs in this interpreter with the
`airflow` -> `riir_airflow` alias installed. Each side runs in a fresh process; the reported times are the DagBag
construction, then the serialization of every DAG it loaded (what Airflow's DAG processor stores:
`DagSerialization.to_dict`; riir: `serialize_dag`, what a DAG app registers); imports of the framework itself are
reported separately. The sides alternate, `--repeat` runs each; prints both sides' medians, wall and CPU, and the
ratios of the medians (DagBag alone, and with serialization); the runs go to benchmarks/.out/dagbag.json.

Bytecode is handled alike on both sides: each framework's own modules are read from bytecode (pip compiled Airflow's
at install; riir's checkout is compiled first, as installing it would), and neither side writes bytecode of the DAG
files (PYTHONDONTWRITEBYTECODE=1 for both), so each run compiles every DAG file from source, as a first parse does.
`--dag-bytecode cached` measures a re-parse instead: the folder is compiled once beforehand and both sides read
those .pyc files (same CPython version on both sides), as a DAG processor does when its folder is writable.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCHEDULES = ["None", '"@daily"', '"0 */6 * * *"', "datetime.timedelta(hours=2)", '"@hourly"']


def dag_file(index: int, n_tasks: int) -> str:
    """Source of one generated DAG file: alternating @task functions and operators with a few fan-ins."""
    lines = [
        f'"""Generated benchmark DAG {index}."""',
        "import datetime",
        "",
        "import pendulum",
        "",
        "from airflow.providers.standard.operators.bash import BashOperator",
        "from airflow.providers.standard.operators.empty import EmptyOperator",
        "from airflow.providers.standard.operators.python import PythonOperator",
        "from airflow.sdk import DAG, task",
        "",
        "",
        "def work(n):",
        "    return n * 2",
        "",
        "",
        f'with DAG("bench_{index:04d}", schedule={SCHEDULES[index % len(SCHEDULES)]},',
        '         start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["bench"],',
        f'         default_args={{"retries": {index % 3}}}):',
    ]
    names: list[str] = []
    for t in range(n_tasks):
        name = f"t{t}"
        kind = t % 4
        if kind == 0:
            lines += ["    @task", f"    def {name}_fn():", f"        return {t}", f"    {name} = {name}_fn()"]
        elif kind == 1:
            lines.append(f'    {name} = BashOperator(task_id="{name}", bash_command="echo {t}")')
        elif kind == 2:
            lines.append(f'    {name} = PythonOperator(task_id="{name}", python_callable=work, op_args=[{t}])')
        else:
            lines.append(f'    {name} = EmptyOperator(task_id="{name}")')
        names.append(name)
    for t in range(1, n_tasks):
        upstream = names[t - 1] if t % 3 else f"[{names[max(0, t - 2)]}, {names[t - 1]}]"
        lines.append(f"    {upstream} >> {names[t]}")
    return "\n".join(lines) + "\n"


def generate(folder: Path, n_files: int, n_tasks: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    # Bytecode left by an earlier run (without PYTHONDONTWRITEBYTECODE) would spare one side's compile() calls.
    shutil.rmtree(folder / "__pycache__", ignore_errors=True)
    for i in range(n_files):
        (folder / f"bench_dag_{i:04d}.py").write_text(dag_file(i, n_tasks))


def inner(folder: str, impl: str) -> dict[str, Any]:
    """Runs inside the measured interpreter: import the framework, then time one DagBag over the folder."""
    start = time.perf_counter()
    serialize: Any
    if impl == "riir":
        import riir_airflow.compat

        riir_airflow.compat.install()
        from riir_airflow.models.dagbag import DagBag
        from riir_airflow.serialization.serialized_dag import serialize_dag as serialize
    else:
        from airflow.dag_processing.dagbag import DagBag  # type: ignore[no-redef]
        from airflow.serialization.serialized_objects import DagSerialization

        serialize = DagSerialization.to_dict
    imported = time.perf_counter()
    cpu_start = time.process_time()
    bag = DagBag(dag_folder=folder)
    loaded = time.perf_counter()
    cpu_loaded = time.process_time()
    for dag in bag.dags.values():
        serialize(dag)
    serialized = time.perf_counter()
    cpu_serialized = time.process_time()
    return {
        "import_s": imported - start,
        "load_s": loaded - imported,
        "serialize_s": serialized - loaded,
        "load_cpu_s": cpu_loaded - cpu_start,
        "serialize_cpu_s": cpu_serialized - cpu_loaded,
        "dags": len(bag.dags),
        "tasks": sum(len(dag.tasks) for dag in bag.dags.values()),
        "errors": len(bag.import_errors),
    }


def measure_side(python: str, folder: Path, impl: str, env: dict[str, str]) -> dict[str, Any]:
    start = time.perf_counter()
    proc = subprocess.run(
        [python, __file__, "--inner", str(folder), "--impl", impl],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


def describe(name: str, runs: list[dict[str, Any]]) -> str:
    """One side's medians over its runs (each figure's own median)."""

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    last = runs[-1]
    return (
        f"{name:8} DagBag {med('load_s'):7.2f}s, serialization {med('serialize_s'):5.2f}s  "
        f"(CPU {med('load_cpu_s'):.2f}s + {med('serialize_cpu_s'):.2f}s; framework import {med('import_s'):.2f}s, "
        f"whole process {med('process_s'):.2f}s; medians of {len(runs)})  {last['dags']} DAGs, {last['tasks']} tasks, "
        f"{last['errors']} import errors"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--repeat", type=int, default=5, help="runs per side, alternating; medians reported")
    parser.add_argument(
        "--dag-bytecode",
        choices=["compile", "cached"],
        default="compile",
        help="compile every DAG file in every run (default), or read .pyc files written once beforehand",
    )
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    parser.add_argument("--impl", choices=["airflow", "riir"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.inner:
        # Airflow's loggers print to stdout while loading; the result is the last stdout line.
        saved = os.dup(1)
        os.dup2(2, 1)
        result = inner(args.inner, args.impl)
        sys.stdout.flush()
        os.dup2(saved, 1)
        print(json.dumps(result))
        return 0

    sys.path.insert(0, str(ROOT / "compat-tests"))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import measure  # (imported here: the measured interpreters above need none of it)
    from airflow_env import AIRFLOW_VERSION, airflow_env, airflow_python
    from harness import compile_bytecode

    compile_bytecode()

    settings = {"files": args.files, "tasks": args.tasks, "repeat": args.repeat, "dag_bytecode": args.dag_bytecode}
    run = measure.Run("dagbag", settings)
    with tempfile.TemporaryDirectory(prefix="riir-bench-dagbag-") as tmp:
        folder = args.keep or Path(tmp) / "dags"
        generate(folder, args.files, args.tasks)
        if args.dag_bytecode == "cached":
            import compileall

            compileall.compile_dir(folder, quiet=1)
        print(f"bench_dagbag: {args.files} files x {args.tasks} tasks in {folder}")
        home = Path(tmp) / "airflow-home"
        home.mkdir()
        riir_env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        airflow_side_env = airflow_env(home)
        for env in (riir_env, airflow_side_env):
            env["PYTHONDONTWRITEBYTECODE"] = "1"  # see the module's docstring
        # Alternate the two sides so that load from other processes on the machine hits both alike.
        runs: dict[str, list[dict[str, Any]]] = {"airflow": [], "riir": []}
        for n in range(max(1, args.repeat)):
            for side, python, env in (
                ("airflow", str(airflow_python()), airflow_side_env),
                ("riir", sys.executable, riir_env),
            ):
                result = measure_side(python, folder, side, env)
                if "error" in result:
                    print(f"{side} failed: {result['error']}")
                    return 1
                total = result["load_s"] + result["serialize_s"]
                print(f"  {side} {n + 1}/{args.repeat}: {total:.2f} s (load {measure.loadavg()[0]})", flush=True)
                runs[side].append(result)

    print(describe("airflow", runs["airflow"]))
    print(describe("riir", runs["riir"]))
    shape = {side: {(r["dags"], r["tasks"], r["errors"]) for r in side_runs} for side, side_runs in runs.items()}
    if len(shape["riir"] | shape["airflow"]) != 1:
        print("ratio: not reported, riir did not load the same DAGs and tasks as Airflow")
        return 1

    def per_run(side: str, *keys: str) -> list[float]:
        return [sum(r[k] for k in keys) for r in runs[side]]

    def ratio(*keys: str) -> float:
        theirs, mine = statistics.median(per_run("airflow", *keys)), statistics.median(per_run("riir", *keys))
        return theirs / mine if mine > 0 else float("inf")

    print(
        f"ratio (medians): riir loads the DagBag {ratio('load_s'):.2f}x as fast as Airflow, "
        f"{ratio('load_s', 'serialize_s'):.2f}x with serialization (CPU: {ratio('load_cpu_s'):.2f}x, "
        f"{ratio('load_cpu_s', 'serialize_cpu_s'):.2f}x; {ratio('process_s'):.2f}x for the whole process)"
    )
    for label, keys in (
        ("DagBag + serialization: wall time", ("load_s", "serialize_s")),
        ("DagBag + serialization: CPU time", ("load_cpu_s", "serialize_cpu_s")),
        ("DagBag alone: wall time", ("load_s",)),
        ("whole process: wall time", ("process_s",)),
    ):
        target = "airflow/riir >= 5x" if label.startswith("DagBag + serialization: wall") else None
        run.figure(label, "s", per_run("riir", *keys), per_run("airflow", *keys), target=target)
    run.notes.append(
        f"{args.files} generated files x {args.tasks} tasks; each run a fresh process: the DagBag over the folder, "
        f"then the serialization of every DAG (Airflow {AIRFLOW_VERSION}: DagSerialization.to_dict; "
        "riir: serialize_dag); DAG files "
        + ("read from .pyc files compiled beforehand" if args.dag_bytecode == "cached" else "compiled in every run")
    )
    print(f"results: {run.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
