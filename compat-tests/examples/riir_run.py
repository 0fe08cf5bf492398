"""riir's side of the example-DAG comparison, in ONE process of the project venv (forked once per DAG run).

    python compat-tests/examples/riir_run.py --out FILE [--run DAG_ID ...] [--jobs N]

Installs the `airflow` -> `riir_airflow` alias, makes `airflow.example_dags` and
`airflow.providers.standard.example_dags` resolve to the example folders of the reference venv (the files import
their own helpers that way), prints the structure facts of both folders (compat-tests/structure/dump_facts.py) and
runs each DAG given with --run through `dags test`'s engine (`run_dag_locally`), each in a forked child with a
timeout so that one hanging DAG cannot stop the others. Writes {"structure": {folder: facts}, "runs": {dag_id:
results}} as JSON; a run that fails to produce results has {"error": "..."} instead.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import traceback
import types
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "structure"))

import cases  # noqa: E402
import dump_facts  # noqa: E402

RUN_TIMEOUT = 300.0


def expose_example_packages() -> None:
    """`import airflow.example_dags.plugins.workday` finds the reference venv's file, as it does under Airflow."""
    import riir_airflow.compat

    riir_airflow.compat.install()
    folders = cases.example_folders()
    for name, package in cases.EXAMPLE_PACKAGES.items():
        parent, _, _ = package.rpartition(".")
        __import__(parent)
        module = types.ModuleType(package)
        module.__path__ = [str(folders[name])]
        sys.modules[package] = module
    # What `[core] load_examples` makes Airflow do: the example plugins are loaded (their timetables and priority
    # weight strategies registered) under the names the example DAGs import them by.
    from riir_airflow.plugins import manager

    manager.add_plugin_package(f"{cases.EXAMPLE_PACKAGES['core']}.plugins")


def _child(dag: Any, out: Path, active_assets: Any) -> None:
    """Runs one DAG (in a forked child) and writes its results or the error."""
    import pendulum

    from riir_airflow.exceptions import ParamValidationError
    from riir_airflow.runtime.local import run_dag_locally

    try:
        with tempfile.TemporaryDirectory(prefix=f"examples-riir-{dag.dag_id}-") as cwd:
            os.chdir(cwd)
            result = run_dag_locally(dag, logical_date=pendulum.parse(cases.LOGICAL_DATE), active_assets=active_assets)
            doc: dict[str, Any] = result.as_results()
    except ParamValidationError:
        # `dags test` refuses to create the run, as Airflow's does: compared as "no run".
        doc = {"dag_id": dag.dag_id, "run_state": None, "task_instances": [], "xcoms": [], "rendered_fields": []}
    except BaseException:
        doc = {"error": traceback.format_exc()[-4000:]}
    out.write_text(json.dumps(doc, sort_keys=True, default=str))


def run_all(dags: dict[str, Any], jobs: int, tmp: Path, active_assets: Any) -> dict[str, Any]:
    """Runs each DAG in its own forked child, at most `jobs` at a time; returns dag_id -> results."""
    results: dict[str, Any] = {}
    pending = list(dags.items())
    running: dict[int, tuple[str, float, Path]] = {}
    while pending or running:
        while pending and len(running) < jobs:
            dag_id, dag = pending.pop(0)
            out = tmp / f"{dag_id}.json"
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # child: its own process group so a timeout kills its task subprocesses too
                os.setpgid(0, 0)
                _child(dag, out, active_assets)
                os._exit(0)
            running[pid] = (dag_id, time.monotonic(), out)
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for child, (_dag_id, started, _) in list(running.items()):
                if time.monotonic() - started > RUN_TIMEOUT:
                    os.killpg(child, signal.SIGKILL)
            time.sleep(0.05)
            continue
        dag_id, started, out = running.pop(pid)
        if out.exists():
            results[dag_id] = json.loads(out.read_text())
        else:
            results[dag_id] = {"error": f"no results (killed after {time.monotonic() - started:.0f}s or crashed)"}
        results[dag_id]["seconds"] = round(time.monotonic() - started, 2)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--run", nargs="*", default=[], help="dag ids to run")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    expose_example_packages()
    structure = {name: dump_facts.dump(folder, "riir") for name, folder in cases.example_folders().items()}

    from riir_airflow.models.dagbag import DagBag
    from riir_airflow.schedules.asset_activation import ActiveAssets, in_recording_order

    wanted = set(args.run)
    dags: dict[str, Any] = {}
    # As Airflow's `dags test`, which records the example folders first: of two assets sharing a name or URI, the
    # one recorded first (directory order) is active and tasks using the other fail.
    active_assets = ActiveAssets()
    with dump_facts._stdout_to_stderr():
        for folder in cases.example_folders().values():
            bag = DagBag(dag_folder=str(folder))
            active_assets.activate_dags(in_recording_order(str(folder), bag.dags.values()))
            dags.update({dag_id: dag for dag_id, dag in bag.dags.items() if dag_id in wanted})
    with tempfile.TemporaryDirectory(prefix="examples-riir-") as tmp, dump_facts._stdout_to_stderr():
        runs = run_all(dict(sorted(dags.items())), args.jobs, Path(tmp), active_assets)
    for dag_id in sorted(wanted - set(dags)):
        runs[dag_id] = {"error": "riir did not load this DAG (see the structure comparison)"}
    args.out.write_text(json.dumps({"structure": structure, "runs": runs}, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
