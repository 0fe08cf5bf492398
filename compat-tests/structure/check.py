"""Structure suite: the corpus DAGs must have the same structural facts under real Airflow 3.3.2 and riir_airflow.

    python compat-tests/structure/check.py [--folder dags|bad_dags ...] [--save-airflow DIR]

Runs dump_facts.py on each folder with both interpreters, prints a per-DAG diff and exits non-zero on any mismatch.
Import errors compare the exception class and message; the line too whenever Airflow reports one (Airflow keeps
only the last frames of a traceback, so it often does not). One documented allowance: riir may put context in front
of Airflow's message ("Invalid cron expression 'x': " + Airflow's reason, as issue 6 asks for the expression in
timetable errors); the reason itself must be Airflow's word for word.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from compat_lib import airflow_output, diff_facts, run_riir  # noqa: E402

DUMP = HERE / "dump_facts.py"
FOLDERS = ("dags", "bad_dags")


def airflow_facts(folder: str) -> dict[str, Any]:
    path = HERE / folder
    out = airflow_output(f"structure-{folder}", DUMP, [str(path), "--impl", "airflow"], [path])
    facts: dict[str, Any] = json.loads(out)
    return facts


def riir_facts(folder: str) -> tuple[dict[str, Any] | None, str]:
    code, out, err = run_riir(DUMP, [str(HERE / folder), "--impl", "riir"])
    if code != 0:
        return None, err[-3000:]
    facts: dict[str, Any] = json.loads(out)
    return facts, ""


def _error_diff(name: str, expected: dict[str, Any], actual: dict[str, Any] | None) -> list[str]:
    if actual is None:
        return [f"{name}: riir reports no import error (airflow: {expected['exception']}: {expected['message']})"]
    lines = []
    for key in ("exception", "message"):
        want, got = expected.get(key), actual.get(key)
        if key == "message" and isinstance(want, str) and isinstance(got, str) and got.endswith(": " + want):
            continue  # riir added context before Airflow's exact message
        if want != got:
            lines.append(f"{name}.{key}: airflow {want!r} != riir {got!r}")
    if expected.get("line") is not None and expected["line"] != actual.get("line"):
        lines.append(f"{name}.line: airflow {expected['line']} != riir {actual.get('line')}")
    return lines


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> tuple[dict[str, list[str]], int]:
    """Differences grouped per DAG id (and per file for import errors); also returns the number of equal DAGs."""
    report: dict[str, list[str]] = {}
    same = 0
    for dag_id in sorted(set(expected["dags"]) | set(actual["dags"])):
        if dag_id not in actual["dags"]:
            report[f"DAG {dag_id}"] = [f"missing in riir (airflow loads it from {expected['dags'][dag_id]['file']})"]
        elif dag_id not in expected["dags"]:
            report[f"DAG {dag_id}"] = [f"only in riir (from {actual['dags'][dag_id]['file']})"]
        else:
            lines = diff_facts(expected["dags"][dag_id], actual["dags"][dag_id])
            if lines:
                report[f"DAG {dag_id}"] = lines
            else:
                same += 1
    exp_err, act_err = expected["import_errors"], actual["import_errors"]
    for name in sorted(set(exp_err) | set(act_err)):
        if name not in exp_err:
            err = act_err[name]
            report[f"file {name}"] = [f"riir reports {err['exception']}: {err['message']} but Airflow loads it"]
        else:
            lines = _error_diff("import_error", exp_err[name], act_err.get(name))
            if lines:
                report[f"file {name}"] = lines
    return report, same


def fact_histogram(report: dict[str, list[str]]) -> list[tuple[str, int]]:
    """How often each kind of difference occurs (task ids folded into `*`), most frequent first."""
    counts: collections.Counter[str] = collections.Counter()
    for lines in report.values():
        for line in lines:
            key = line.split(":", 1)[0] if ": airflow" in line else re.sub(r"\(.*", "", line).strip()
            counts[re.sub(r"^tasks\.[^.]+\.", "tasks.*.", key)] += 1
    return counts.most_common()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", action="append", choices=FOLDERS, help="only these corpus folders")
    parser.add_argument("--save-airflow", type=Path, help="also write Airflow's facts as <DIR>/<folder>.json")
    args = parser.parse_args()

    failed = False
    for folder in args.folder or FOLDERS:
        expected = airflow_facts(folder)
        if args.save_airflow:
            args.save_airflow.mkdir(parents=True, exist_ok=True)
            (args.save_airflow / f"{folder}.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
        n_dags, n_errors = len(expected["dags"]), len(expected["import_errors"])
        actual, error = riir_facts(folder)
        if actual is None:
            print(f"structure/{folder}: riir could not dump facts ({n_dags} Airflow DAGs, {n_errors} import errors):")
            print("  " + error.strip().replace("\n", "\n  "))
            failed = True
            continue
        report, same = compare(expected, actual)
        for title, lines in report.items():
            print(f"--- {folder}: {title}")
            for line in lines:
                print(f"    {line}")
        if report:
            common = ", ".join(f"{key} x{n}" for key, n in fact_histogram(report)[:8])
            print(f"structure/{folder}: most frequent differences: {common}")
        status = "OK" if not report else "MISMATCH"
        print(
            f"structure/{folder}: {status}: {same}/{n_dags} DAGs identical, "
            f"{n_errors} Airflow import errors, {len(report)} differing DAGs/files"
        )
        failed = failed or bool(report)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
