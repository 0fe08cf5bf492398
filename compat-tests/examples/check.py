"""Airflow 3.3.2's own example DAGs under real Airflow and under riir: structure of every DAG, run outcomes of every
DAG that Airflow runs deterministically offline (cases.NOT_RUN lists the others, with reasons).

    python compat-tests/examples/check.py [--table] [--refresh]

Airflow's side is cached (reference.py); riir's side runs every time, in one process of this venv (riir_run.py).
Prints the differences per DAG and a summary; exits 1 on any difference that is not in cases.ALLOWED, on an
allowance that is no longer needed (so the list only shrinks), or on an error. --table prints one line per example
file with its status (for reports and docs).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "behaviour"))
sys.path.insert(0, str(HERE.parent / "structure"))

import cases  # noqa: E402
from common import normalize, sort_results  # noqa: E402
from compat_lib import airflow_output  # noqa: E402
from reference import airflow_runs, airflow_structure, dags_to_run  # noqa: E402

RIIR_TIMEOUT = 900
# `<pkg.Class object at 0x7f...>`: a fact that is an object's default repr (a custom weight_rule strategy instance)
# differs by memory address between any two processes; compared without it.
_ADDRESS = re.compile(r" object at 0x[0-9a-f]+>")


def _without_addresses(value: Any) -> Any:
    if isinstance(value, str):
        return _ADDRESS.sub(" object>", value)
    if isinstance(value, dict):
        return {k: _without_addresses(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_addresses(v) for v in value]
    return value


def verify_hash_order() -> None:
    """Shows, in Airflow's own venv, that each class of cases.HASH_ORDERED_TEMPLATE_FIELDS orders its template_fields
    differently under different string-hash seeds (else its entry is stale and the check fails)."""
    targets = sorted(cases.HASH_ORDERED_TEMPLATE_FIELDS.values())
    orders: dict[str, set[tuple[str, ...]]] = {t: set() for t in targets}
    for seed in ("1", "2", "3", "4"):
        out = json.loads(airflow_output(f"examples-hash-order-{seed}", HERE / "hash_order.py", [seed, *targets], []))
        for target, fields in out.items():
            orders[target].add(tuple(fields))
    steady = [t for t, seen in orders.items() if len(seen) < 2]
    if steady:
        raise SystemExit(
            f"template_fields order does not vary with the hash seed in Airflow for {steady}: remove them "
            "from cases.HASH_ORDERED_TEMPLATE_FIELDS"
        )


def _hash_ordered_as_sets(facts: dict[str, Any]) -> dict[str, Any]:
    """The structure facts with the template_fields of cases.HASH_ORDERED_TEMPLATE_FIELDS classes sorted."""
    for dag in facts["dags"].values():
        for task in dag["tasks"].values():
            if task.get("class") in cases.HASH_ORDERED_TEMPLATE_FIELDS and "template_fields" in task:
                task["template_fields"] = sorted(task["template_fields"])
    return facts


def _suite_check(suite: str) -> Any:
    """The check.py module of another suite (loaded by path: this module is called check too)."""
    spec = importlib.util.spec_from_file_location(f"{suite}_check", HERE.parent / suite / "check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _without_volatile(value: Any) -> Any:
    """cases.VOLATILE_PATTERNS replaced in every string of a run's results."""
    if isinstance(value, str):
        for pattern, replacement in cases.VOLATILE_PATTERNS.items():
            value = re.sub(pattern, replacement, value)
        return value
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def comparable_run(dag_id: str, results: dict[str, Any]) -> dict[str, Any]:
    """A run's results with what differs between any two runs replaced (cases.VOLATILE_PATTERNS, WALL_CLOCK_XCOMS)."""
    out: dict[str, Any] = _without_volatile(normalize(sort_results(results)))
    for row in out["xcoms"]:
        if (dag_id, row["task_id"], row["key"]) in cases.WALL_CLOCK_XCOMS:
            row["value"] = "<wall clock>"
    return out


def riir_side(run_ids: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="examples-check-") as tmp:
        out = Path(tmp) / "riir.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env["AIRFLOW_HOME"] = str(Path(tmp) / "home")
        proc = subprocess.run(
            [sys.executable, str(HERE / "riir_run.py"), "--out", str(out), "--run", *run_ids],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=RIIR_TIMEOUT,
        )
        if proc.returncode != 0 or not out.exists():
            raise SystemExit(f"riir side failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
        doc: dict[str, Any] = json.loads(out.read_text())
        return doc


def compare_all(refresh: bool) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """(per-DAG info, differences keyed "DAG x" / "file y") over both example folders."""
    compare = _suite_check("structure").compare
    diff_results = _suite_check("behaviour").diff_results
    folders = cases.example_folders()
    if refresh:
        os.environ["RIIR_COMPAT_REFRESH"] = "1"
    verify_hash_order()
    expected = {name: airflow_structure(name, folder) for name, folder in folders.items()}
    to_run = dags_to_run(expected)
    reference = airflow_runs(to_run, force=refresh)
    riir = riir_side(sorted(to_run))

    info: dict[str, dict[str, Any]] = {}
    report: dict[str, list[str]] = {}
    for name in folders:
        diffs, _ = compare(
            _hash_ordered_as_sets(_without_addresses(expected[name])),
            _hash_ordered_as_sets(_without_addresses(riir["structure"][name])),
        )
        for title, lines in diffs.items():
            report.setdefault(title, []).extend(f"structure: {line}" for line in lines)
        for dag_id, facts in expected[name]["dags"].items():
            info[dag_id] = {"file": f"{name}/{facts['file']}"}
    for dag_id in to_run:
        airflow = json.loads(reference[dag_id].read_text())
        mine = riir["runs"].get(dag_id, {"error": "not run"})
        if "error" in mine:
            report.setdefault(f"DAG {dag_id}", []).append(f"run: riir produced no results: {mine['error'][-1500:]}")
            continue
        info[dag_id]["seconds"] = mine.pop("seconds", None)
        lines = diff_results(comparable_run(dag_id, airflow), comparable_run(dag_id, mine))
        report.setdefault(f"DAG {dag_id}", []).extend(f"run: {line}" for line in lines)
    report = {title: lines for title, lines in report.items() if lines}
    return info, report


def _allowance_key(title: str, info: dict[str, dict[str, Any]]) -> str | None:
    """The cases.ALLOWED key covering one differing DAG or file (its dag id, its file name, or the DAG's file)."""
    kind, _, name = title.partition(" ")
    if name in cases.ALLOWED:
        return name
    if kind == "DAG" and name in info:
        file_name = info[name]["file"].split("/", 1)[1]
        return file_name if file_name in cases.ALLOWED else None
    return None


def _allowance(title: str, info: dict[str, dict[str, Any]]) -> tuple[str, str] | None:
    key = _allowance_key(title, info)
    return None if key is None else cases.ALLOWED[key]


def file_table(info: dict[str, dict[str, Any]], report: dict[str, list[str]]) -> list[str]:
    """One line per example file: identical / not run (reason) / differs (allowance)."""
    by_file: dict[str, list[str]] = {}
    for dag_id, dag in info.items():
        by_file.setdefault(dag["file"], []).append(dag_id)
    for folder_name, folder in cases.example_folders().items():
        for path in sorted(folder.rglob("*.py")):
            rel = f"{folder_name}/{path.relative_to(folder)}"
            if path.name != "__init__.py":
                by_file.setdefault(rel, [])
    lines = []
    for rel in sorted(by_file):
        dag_ids = sorted(by_file[rel])
        base = rel.split("/", 1)[1]
        notes = []
        if f"file {os.path.basename(base)}" in report:
            allowed = _allowance(f"file {os.path.basename(base)}", info)
            notes.append(f"import differs ({allowed[1] if allowed else 'NOT ALLOWED'})")
        differing = [d for d in dag_ids if f"DAG {d}" in report]
        not_run = [d for d in dag_ids if d in cases.NOT_RUN]
        if differing:
            owners = sorted({(_allowance(f"DAG {d}", info) or ("", "NOT ALLOWED"))[1] for d in differing})
            notes.append(f"{len(differing)}/{len(dag_ids)} DAG(s) differ ({'; '.join(owners)})")
        if not_run:
            notes.append(f"run not compared for {', '.join(not_run)}: {cases.NOT_RUN[not_run[0]]}")
        status = "identical" if not notes else "; ".join(notes)
        if not dag_ids and not notes:
            status = "no DAG (helper module), loads in both"
        lines.append(f"{rel}: {status}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refresh", action="store_true", help="recompute Airflow's side, ignoring the cache")
    parser.add_argument("--table", action="store_true", help="print one status line per example file")
    args = parser.parse_args()
    info, report = compare_all(args.refresh or os.environ.get("RIIR_COMPAT_REFRESH") == "1")

    unallowed = []
    for title, lines in sorted(report.items()):
        allowed = _allowance(title, info)
        print(f"--- {title}" + (f"  [allowed: {allowed[0]}; {allowed[1]}]" if allowed else ""))
        for line in lines[:25]:
            print(f"    {line[:600]}")
        if len(lines) > 25:
            print(f"    ... {len(lines) - 25} more")
        if allowed is None:
            unallowed.append(title)
    used = {_allowance_key(title, info) for title in report}
    stale = [name for name in cases.ALLOWED if name not in used]
    n_dags = len(info)
    n_run = sum(1 for d in info if d not in cases.NOT_RUN)
    print(
        f"\nexamples: {n_dags} DAGs ({n_run} run), {n_dags - sum(1 for t in report if t.startswith('DAG '))} identical,"
        f" {len(report)} differing DAGs/files ({len(report) - len(unallowed)} allowed), {len(stale)} stale allowances"
    )
    if unallowed:
        print(f"  NOT ALLOWED: {' '.join(unallowed)}")
    if stale:
        print(f"  stale allowances (now identical: remove them from cases.ALLOWED): {' '.join(stale)}")
    if args.table:
        print("\n" + "\n".join(file_table(info, report)))
    return 1 if unallowed or stale else 0


if __name__ == "__main__":
    sys.exit(main())
