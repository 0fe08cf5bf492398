"""Behaviour compat: each DAG in dags/ under real Airflow (`airflow dags test`) and under riir
(`riir-airflow dags test ... --save-results`), with the final states, XComs and rendered fields compared.

Usage: python compat-tests/behaviour/check.py [DAG_ID ...] [--refresh] [--show-identical]

Airflow's side is cached (airflow_side.py); riir's side runs every time, in this (the project's) venv with
RIIR_AIRFLOW_COMPAT=1 so that `import airflow` in the DAG files resolves to riir_airflow. Prints a readable diff per
differing DAG and a summary; exits 1 on any difference or error. RIIR_COMPAT_REFRESH=1 is the same as --refresh.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from airflow_side import airflow_results
from common import Case, all_cases, collect_files, normalize, sort_results, task_environment

RUN_TIMEOUT = 300
NO_RUN: dict[str, Any] = {"run_state": None, "task_instances": [], "xcoms": [], "rendered_fields": []}
MAX_VALUE_CHARS = 400


def riir_command() -> list[str]:
    exe = Path(sys.executable).parent / "riir-airflow"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("riir-airflow")
    return [found] if found else [sys.executable, "-m", "riir_airflow.cli"]


def run_riir(case: Case) -> tuple[dict[str, Any] | None, str, float]:
    """Runs one DAG with riir; returns (results or None, output to show on error, wall time)."""
    with tempfile.TemporaryDirectory(prefix=f"behaviour-riir-{case.dag_id}-") as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        save = Path(tmp) / "results.json"
        env = dict(os.environ)
        env.update(task_environment(case, out))
        env["RIIR_AIRFLOW_COMPAT"] = "1"
        cmd = [*riir_command(), "dags", "test", str(case.path), case.logical_date]
        if case.conf is not None:
            cmd += ["--conf", case.conf]
        cmd += ["--save-results", str(save)]
        started = time.monotonic()
        try:
            proc = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None, f"timed out after {RUN_TIMEOUT}s: {' '.join(cmd)}", time.monotonic() - started
        elapsed = time.monotonic() - started
        output = f"$ {' '.join(cmd)}\nexit code {proc.returncode}\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}"
        if not save.exists():
            if proc.returncode != 0:
                # A refused run (no DAG run created, non-zero exit) compares as run_state null with nothing in it;
                # the output is shown if Airflow did create a run.
                no_run = NO_RUN | {"dag_id": case.dag_id, "files": collect_files(out), "_riir_output": output}
                return sort_results(no_run), output, elapsed
            return None, output, elapsed
        try:
            results = json.loads(save.read_text())
        except json.JSONDecodeError as exc:
            return None, f"{output}\n--save-results wrote invalid JSON: {exc}", elapsed
        results["files"] = collect_files(out)
        return sort_results(results), output, elapsed


def same(a: Any, b: Any) -> bool:
    """JSON equality that also tells 1 from 1.0 from true (Airflow's stored types must be reproduced)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def differences(a: Any, b: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """(path, airflow value, riir value) of the innermost places where two JSON values differ."""
    if type(a) is type(b) and isinstance(a, dict):
        out = []
        for k in sorted(a.keys() | b.keys()):
            sub = f"{path}.{k}" if path else str(k)
            if k not in b or k not in a:
                out.append((sub, a.get(k, "<missing>"), b.get(k, "<missing>")))
            else:
                out.extend(differences(a[k], b[k], sub))
        return out
    if type(a) is type(b) and isinstance(a, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if same(a, b) else [(path, a, b)]


def describe(label: str, a: Any, b: Any) -> list[str]:
    """Lines for one differing value: the inner paths that differ (at most 5), else the two whole values."""
    found = differences(a, b)
    if not found or (len(found) == 1 and found[0][0] == ""):
        return [f"{label}: airflow {show(a)}  riir {show(b)}"]
    lines = [f"{label} at {where}: airflow {show(x)}  riir {show(y)}" for where, x, y in found[:5]]
    if len(found) > 5:
        lines.append(f"{label}: ... {len(found) - 5} more difference(s)")
    return lines


def show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "..."


def diff_results(airflow: dict[str, Any], riir: dict[str, Any]) -> list[str]:
    """Human-readable differences, one line each (empty when identical)."""
    lines: list[str] = []
    for key in ("dag_id", "run_state"):
        if not same(airflow.get(key), riir.get(key)):
            lines.append(f"{key}: airflow {show(airflow.get(key))}  riir {show(riir.get(key))}")

    def keyed(
        section: str, key_fields: tuple[str, ...]
    ) -> tuple[dict[tuple[Any, ...], Any], dict[tuple[Any, ...], Any]]:
        def index(doc: dict[str, Any]) -> dict[tuple[Any, ...], Any]:
            rows = doc.get(section)
            if not isinstance(rows, list):
                lines.append(f"{section}: missing or not a list in {'airflow' if doc is airflow else 'riir'} results")
                return {}
            return {tuple(row.get(f) for f in key_fields): row for row in rows}

        return index(airflow), index(riir)

    def name(key: tuple[Any, ...]) -> str:
        task_id, map_index, *rest = key
        where = task_id if map_index == -1 else f"{task_id}[{map_index}]"
        return ".".join([where, *map(str, rest)])

    sections: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
        ("task_instances", ("task_id", "map_index"), ("state", "try_number")),
        ("xcoms", ("task_id", "map_index", "key"), ("value",)),
    ]
    for section, key_fields, value_fields in sections:
        a_rows, r_rows = keyed(section, key_fields)
        for key in sorted(a_rows.keys() | r_rows.keys(), key=lambda k: tuple(map(str, k))):
            label = f"{section} {name(key)}"
            if key not in r_rows:
                lines.append(f"{label}: only in airflow: {show({f: a_rows[key].get(f) for f in value_fields})}")
            elif key not in a_rows:
                lines.append(f"{label}: only in riir: {show({f: r_rows[key].get(f) for f in value_fields})}")
            else:
                for f in value_fields:
                    if not same(a_rows[key].get(f), r_rows[key].get(f)):
                        lines.extend(describe(f"{label} {f}", a_rows[key].get(f), r_rows[key].get(f)))

    a_rows, r_rows = keyed("rendered_fields", ("task_id", "map_index"))
    for key in sorted(a_rows.keys() | r_rows.keys(), key=lambda k: tuple(map(str, k))):
        label = f"rendered_fields {name(key)}"
        if key not in r_rows:
            lines.append(f"{label}: only in airflow")
            continue
        if key not in a_rows:
            lines.append(f"{label}: only in riir")
            continue
        a_fields = a_rows[key].get("fields") or {}
        r_fields = r_rows[key].get("fields") or {}
        for field in sorted(a_fields.keys() | r_fields.keys()):
            if field not in r_fields:
                lines.append(f"{label}.{field}: only in airflow: {show(a_fields[field])}")
            elif field not in a_fields:
                lines.append(f"{label}.{field}: only in riir: {show(r_fields[field])}")
            elif not same(a_fields[field], r_fields[field]):
                lines.extend(describe(f"{label}.{field}", a_fields[field], r_fields[field]))

    a_files = {f["name"]: f["content"] for f in airflow.get("files", [])}
    r_files = {f["name"]: f["content"] for f in riir.get("files", [])}
    for fname in sorted(a_files.keys() | r_files.keys()):
        if a_files.get(fname) != r_files.get(fname):
            lines.append(f"files {fname}: airflow {show(a_files.get(fname))}  riir {show(r_files.get(fname))}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dag_ids", nargs="*", help="only these DAGs (default: all in dags/)")
    parser.add_argument("--refresh", action="store_true", help="recompute Airflow's results, ignoring the cache")
    parser.add_argument("--show-identical", action="store_true", help="also list the DAGs that match")
    args = parser.parse_args()

    cases = all_cases(args.dag_ids)
    refresh = args.refresh or os.environ.get("RIIR_COMPAT_REFRESH") == "1"
    print(f"behaviour: {len(cases)} DAGs; real Airflow results (cached unless --refresh) ...", flush=True)
    reference = airflow_results(cases, force=refresh)

    identical: list[str] = []
    differing: list[str] = []
    errors: list[str] = []
    riir_seconds = 0.0
    for case in cases:
        airflow = json.loads(reference[case.dag_id].read_text())
        riir, output, elapsed = run_riir(case)
        riir_seconds += elapsed
        if riir is None:
            errors.append(case.dag_id)
            print(f"\nERROR {case.dag_id}: riir produced no results\n{output}", flush=True)
            continue
        lines = diff_results(normalize(airflow), normalize(riir))
        if lines:
            differing.append(case.dag_id)
            print(f"\nDIFF {case.dag_id} ({len(lines)} difference(s); airflow: {reference[case.dag_id]})")
            for line in lines:
                print(f"  {line}")
            if "_riir_output" in riir:
                print(f"  riir wrote no results:\n{riir['_riir_output']}")
        else:
            identical.append(case.dag_id)
            if args.show_identical:
                print(f"SAME {case.dag_id}")
        sys.stdout.flush()

    print(
        f"\nbehaviour: {len(identical)} identical, {len(differing)} different, {len(errors)} errors"
        f" (of {len(cases)} DAGs; riir took {riir_seconds:.1f}s in total)"
    )
    if differing:
        print(f"  different: {' '.join(differing)}")
    if errors:
        print(f"  errors: {' '.join(errors)}")
    return 0 if not differing and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
