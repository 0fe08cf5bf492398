"""The scheduler scenario DAGs through `dags test` on both sides, where Airflow's `dags test` supports them: one run
at a set logical date, its final run and task states and XComs compared (the behaviour suite's runners and diff:
compat-tests/behaviour). Cross-run features mostly do nothing in a single test run; what is compared is that both
sides run these DAGs the same way on their own.

    python compat-tests/scheduler/dags_test_check.py [DAG_ID ...]

Not here, and why:
- deadline DAGs: Airflow 3.3.2's `dags test` fails looking up the deadline alert (StatementError 'dict' has no 'hex');
- pool and priority DAGs: they name pools that exist only when the scenario creates them;
- sc_dagrun_timeout: `dags test` does not apply dagrun_timeout (a 60 s sleep to no purpose);
- DAGs whose test run adds little to the ones above (one plain task, or what the scheduler side shows better):
  the other max_active_* DAGs, clear/mark DAGs that differ only in what the scenario does to them afterwards;
- DAGs that wait on other DAGs (sensors on another DAG, TriggerDagRun with wait, asset consumers) and files with
  several DAGs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "behaviour"), str(HERE.parent)]

from airflow_side import airflow_results  # noqa: E402  (the behaviour suite's `dags test` runner)
from check import diff_results, run_riir  # noqa: E402
from common import Case, normalize, sort_results  # noqa: E402

FIRST = "2024-01-01T00:00:00+00:00"
SECOND = "2024-01-02T00:00:00+00:00"
# dag_id -> logical date of its test run
DAGS_TEST = {
    "sc_depends_on_past": SECOND,
    "sc_ignore_first_dop": FIRST,
    "sc_max_active_tasks": FIRST,
    "sc_max_tis_per_dagrun": FIRST,
    "sc_prev_success": FIRST,
    "sc_reschedule_count": FIRST,
    "sc_sensor_reschedule": FIRST,
    "sc_xcom_prior": FIRST,
    "sc_clear_only_failed": FIRST,
    "sc_mark_success": FIRST,
    "sc_trigger_target": FIRST,
    "sc_catchup_off": FIRST,
}
# dag_id -> why riir's `dags test` differs from Airflow's today (a new difference or a stale entry fails).
ALLOWED: dict[str, str] = {}
# XCom keys holding wall-clock values.
MASKED_KEYS: set[str] = set()


def cases(selected: list[str]) -> list[Case]:
    return [Case(dag_id=d, path=HERE / "dags" / f"{d}.py", logical_date=date) for d, date in DAGS_TEST.items()
            if not selected or d in selected]  # fmt: skip


def clean(results: dict[str, object]) -> dict[str, object]:
    out = normalize(sort_results(results))
    out["xcoms"] = [x for x in out["xcoms"] if x.get("key") not in MASKED_KEYS]
    return out


def main() -> int:
    chosen = cases(sys.argv[1:])
    paths = airflow_results(chosen, quiet=True)
    failures = 0
    for case in chosen:
        theirs = clean(json.loads(paths[case.dag_id].read_text()))
        ours_raw, output, _ = run_riir(case)
        problems = (
            ["riir produced no results:\n" + output] if ours_raw is None else diff_results(theirs, clean(ours_raw))
        )
        allowed = ALLOWED.get(case.dag_id)
        if problems and allowed:
            print(f"[allowed] dags test {case.dag_id}: {allowed}")
        elif problems:
            failures += 1
            print(f"[DIFF] dags test {case.dag_id}")
        elif allowed:
            failures += 1
            print(f"[STALE] dags test {case.dag_id} agrees now: remove its allowance ({allowed})")
        else:
            print(f"[ok] dags test {case.dag_id}")
        for problem in problems:
            print(f"    {problem}")
    print(f"dags test: {len(chosen) - failures} of {len(chosen)} DAGs agree or differ as allowed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
