"""Scheduler compat check: the scenarios of scenarios.py under real Airflow 3.3.2's scheduler (LocalExecutor on
PostgreSQL, with its api-server, dag-processor and triggerer) and under riir's broker + one app per DAG file; the
final run and task states, XComs, paused flags, trace lines, and the order constraints each feature promises must
agree. Differences known today are listed in ALLOWED with their reason; a new difference fails, and so does an
allowance whose scenario now agrees.

    python compat-tests/scheduler/check.py [SCENARIO ...]

Airflow's side (airflow_side.py) is cached under ~/.cache/riir-airflow/compat/, keyed by the scenario sources.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from compat_lib import airflow_output, diff_facts  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402

# scenario -> why riir differs from Airflow today. Keep it short and true; remove an entry when riir catches up.
ALLOWED: dict[str, str] = {}

Records = dict[str, Any]  # one DAG's records from extract.py
Facts = dict[str, Any]


def airflow_results() -> dict[str, Any]:
    inputs = [
        HERE / name
        for name in ("airflow_side.py", "driver.py", "extract.py", "scenarios.py", "dags", "plugins", "versions")
    ]
    return dict(json.loads(airflow_output("scheduler", HERE / "airflow_side.py", [], inputs, timeout=3600)))


def riir_results(names: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(HERE / "riir_side.py"), *names], capture_output=True, text=True,
                          timeout=1500)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"riir side failed:\n{proc.stderr[-6000:]}")
    if proc.stderr.strip():
        print(proc.stderr[-4000:], file=sys.stderr)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# -- records to comparable facts


def _t(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _ti_key(row: Records) -> str:
    return row["task_id"] if row["map_index"] < 0 else f"{row['task_id']}[{row['map_index']}]"


def run_key(run: Records, index: dict[str, int]) -> str:
    """Run ids both sides choose the same way stay; generated ones become their type and rank."""
    run_id, run_type = run["run_id"], run["run_type"]
    if run_type == "scheduled" and not run_id.startswith("scheduled__2024-"):
        return "scheduled__latest"  # catchup=False: the latest interval, wall-clock dependent
    if run_type == "asset_triggered" or (run_type == "manual" and run_id.startswith("manual__")):
        index[run_type] = index.get(run_type, 0) + 1
        return f"{run_type}#{index[run_type]}"
    return str(run_id)


def tries(records: Records) -> list[Records]:
    """Every try of every task instance: the history rows plus the current try when history lacks it (Airflow keeps
    only earlier tries in task_instance_history, riir also the current one)."""
    seen = {(h["run_id"], _ti_key(h), h["try_number"]) for h in records["history"]}
    out = list(records["history"])
    out += [ti for ti in records["tis"] if ti["try_number"] > 0 and (ti["run_id"], _ti_key(ti), ti["try_number"])
            not in seen and ti["start_date"]]  # fmt: skip
    return [t for t in out if t["start_date"]]


def max_overlap(intervals: list[tuple[datetime, datetime | None]], weights: list[int] | None = None) -> int:
    """Most intervals (or weight) open at one instant; an end at the same instant as a start does not overlap."""
    events: list[tuple[datetime, int, int]] = []
    for i, (start, end) in enumerate(intervals):
        weight = weights[i] if weights else 1
        events.append((start, 1, weight))
        events.append((end or datetime.max.replace(tzinfo=start.tzinfo), 0, -weight))
    best = current = 0
    for _, _, delta in sorted(events):
        current += delta
        best = max(best, current)
    return best


def base_facts(records: Records, xcom_mask: set[str]) -> Facts:
    index: dict[str, int] = {}
    keys = {r["run_id"]: run_key(r, index) for r in records["runs"]}
    runs: Facts = {}
    for run in records["runs"]:
        runs[keys[run["run_id"]]] = {"state": run["state"], "run_type": run["run_type"], "tasks": {}, "xcom": {}}
    for ti in records["tis"]:
        if ti["run_id"] in keys:
            runs[keys[ti["run_id"]]]["tasks"][_ti_key(ti)] = [ti["state"], ti["try_number"]]
    for x in records["xcom"]:
        if x["run_id"] in keys and x["key"] not in xcom_mask:
            suffix = "" if x["key"] == "return_value" else f".{x['key']}"
            runs[keys[x["run_id"]]]["xcom"][_ti_key(x) + suffix] = x["value"]
    return {"is_paused": records["is_paused"], "runs": runs}


# -- per-scenario order constraints and wall-clock-free views of time values


def run_overlap(limit: int) -> Callable[[dict[str, Records]], Facts]:
    def check(dags: dict[str, Records]) -> Facts:
        (records,) = dags.values()
        spans = [(_t(r["start_date"]), _t(r["end_date"])) for r in records["runs"] if r["start_date"]]
        most = max_overlap([(s, e) for s, e in spans if s is not None])
        return {f"at most {limit} runs at once": most <= limit, "runs started": len(spans)}

    return check


def try_overlap(limit: int, task: str | None = None, weights: dict[str, int] | None = None) -> Callable[..., Facts]:
    def check(dags: dict[str, Records]) -> Facts:
        (records,) = dags.values()
        chosen = [t for t in tries(records) if task is None or t["task_id"] == task]
        spans = [(_t(t["start_date"]), _t(t["end_date"])) for t in chosen]
        w = [weights.get(t["task_id"], 1) for t in chosen] if weights else None
        most = max_overlap([(s, e) for s, e in spans if s is not None], w)
        return {f"at most {limit} {'slots' if weights else 'tries'} at once": most <= limit, "tries": len(chosen)}

    return check


def starts_after(later: tuple[str, str], earlier: tuple[str, str]) -> Callable[[dict[str, Records]], Facts]:
    """(run_id, task_id) `later`'s first try starts after `earlier`'s last try ended."""

    def check(dags: dict[str, Records]) -> Facts:
        (records,) = dags.values()
        all_tries = tries(records)
        first = min((t for t in all_tries if (t["run_id"], t["task_id"]) == later), key=lambda t: t["try_number"],
                    default=None)  # fmt: skip
        last = max((t for t in all_tries if (t["run_id"], t["task_id"]) == earlier), key=lambda t: t["try_number"],
                   default=None)  # fmt: skip
        ok = bool(first and last and last["end_date"] and _t(first["start_date"]) >= _t(last["end_date"]))  # type: ignore[operator]
        return {f"{later} starts after {earlier} ended": ok}

    return check


def priority(dags: dict[str, Records]) -> Facts:
    (records,) = dags.values()
    roots = sorted(
        (t for t in tries(records) if t["task_id"] in ("r1", "r2", "r3", "r4")), key=lambda t: t["start_date"]
    )
    weights = {ti["task_id"]: ti["priority_weight"] for ti in records["tis"]}
    return {"roots in start order": [t["task_id"] for t in roots], "priority_weight": weights}


def prev_success(dags: dict[str, Records]) -> Facts:
    (records,) = dags.values()
    runs = {r["run_id"]: r for r in records["runs"]}
    out: Facts = {}
    for x in records["xcom"]:
        value = x["value"]
        if not isinstance(value, dict):
            continue
        success = [
            r
            for r in records["runs"]
            if r["state"] == "success" and r["logical_date"] < runs[x["run_id"]]["logical_date"]
        ]
        prev = success[-1] if success else None
        out[x["run_id"]] = {
            "prev_data_interval_start_success": value.get("prev_data_interval_start_success"),
            "prev_data_interval_end_success": value.get("prev_data_interval_end_success"),
            "prev_start_date_success is that run's start": _same(
                value.get("prev_start_date_success"), prev, "start_date"
            ),
            "prev_end_date_success is that run's end": _same(value.get("prev_end_date_success"), prev, "end_date"),
        }
    return out


def _same(value: str | None, run: Records | None, field: str) -> bool | None:
    if value is None or run is None:
        return None if value is None and run is None else False
    return _t(value) == _t(run[field])


def reschedules(dags: dict[str, Records]) -> Facts:
    (records,) = dags.values()
    counts = {f"{r['run_id']}/{r['task_id']}": r["count"] for r in records["reschedules"]}
    return {"rescheduled at least twice": {k: v >= 2 for k, v in counts.items()}}


def catchup_off(dags: dict[str, Records]) -> Facts:
    (records,) = dags.values()
    now = datetime.now().astimezone()
    dates = [_t(r["logical_date"]) for r in records["runs"]]
    return {"runs": len(dates), "latest run within a day": all(d is not None and (now - d).days < 2 for d in dates)}


def trace_lines(name: str) -> Callable[[dict[str, Records], dict[str, list[str]]], Facts]:
    def check(dags: dict[str, Records], trace: dict[str, list[str]]) -> Facts:
        return {name: trace.get(name, [])}

    return check


CHECKS: dict[str, Callable[..., Facts]] = {
    "depends_on_past": starts_after(
        ("scheduled__2024-01-03T00:00:00+00:00", "a"), ("scheduled__2024-01-02T00:00:00+00:00", "a")
    ),
    "wait_for_downstream": starts_after(
        ("scheduled__2024-01-02T00:00:00+00:00", "a"), ("scheduled__2024-01-01T00:00:00+00:00", "b")
    ),
    "max_active_runs_1": run_overlap(1),
    "max_active_runs_2": run_overlap(2),
    "max_active_tasks": try_overlap(2),
    "max_active_tis_per_dag": try_overlap(1, task="solo"),
    "max_active_tis_per_dagrun": try_overlap(1, task="one_at_a_time"),
    "pool_slots": try_overlap(2, weights={"big": 2, "small0": 1, "small1": 1, "small2": 1}),
    "priority_downstream": priority,
    "priority_upstream": priority,
    "priority_absolute": priority,
    "priority_plugin": priority,
    "prev_success": prev_success,
    "sensor_reschedule": reschedules,
    "task_reschedule_count": reschedules,
    "catchup_off": catchup_off,
    "deadline_alerts": trace_lines("deadline.log"),
}
XCOM_MASK = {"prev_success": {"return_value"}}


def facts(name: str, side: dict[str, Any]) -> Facts:
    sc = SCENARIOS[name]
    dags = {d: side["dags"][d] for d in sc.dag_ids}
    out: Facts = {"error": side["scenarios"].get(name)}
    for dag_id, records in dags.items():
        out[dag_id] = base_facts(records, XCOM_MASK.get(name, set()))
    check = CHECKS.get(name)
    if check is not None:
        try:
            out["checks"] = check(dags, side["trace"]) if name == "deadline_alerts" else check(dags)
        except Exception as exc:  # a side without the records a check needs differs, it does not crash the suite
            out["checks"] = f"check failed: {type(exc).__name__}: {exc}"
    if name == "catchup_off":
        out["sc_catchup_off"]["runs"] = {"scheduled__latest": out["sc_catchup_off"]["runs"].get("scheduled__latest")}
    return out


def main() -> int:
    names = sys.argv[1:] or list(SCENARIOS)
    theirs = airflow_results()
    ours = riir_results(names)
    broken = {n: e for n, e in theirs["scenarios"].items() if e and n in names}
    if broken:
        print(f"Airflow's side could not complete: {broken}")
        return 1
    failures = 0
    for name in names:
        problems = diff_facts(facts(name, theirs), facts(name, ours))
        allowed = ALLOWED.get(name)
        if problems and allowed:
            print(f"[allowed] {name}: {allowed}")
            for problem in problems:
                print(f"    {problem}")
        elif problems:
            failures += 1
            print(f"[DIFF] {name} ({SCENARIOS[name].bullet})")
            for problem in problems:
                print(f"    {problem}")
        elif allowed:
            failures += 1
            print(f"[STALE] {name} agrees with Airflow now: remove its allowance ({allowed})")
        else:
            print(f"[ok] {name} ({SCENARIOS[name].bullet})")
    print(f"{len(names) - failures} of {len(names)} scenarios agree or differ as allowed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
