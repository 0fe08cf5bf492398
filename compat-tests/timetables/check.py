"""Runs the same cases under riir_airflow and diffs them against real Airflow's tables.

    python compat-tests/timetables/check.py            # generates Airflow's tables first when missing
    python compat-tests/timetables/check.py --regenerate

Prints one line per differing case and a summary; exits non-zero on any difference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import pendulum  # noqa: E402
from cases import MANUAL_RUN_AFTER, STEPS, backfill_cases, timetable_cases  # noqa: E402
from dateutil.relativedelta import relativedelta  # noqa: E402

# Shared with the other suites' cache (outside the checkout), so a fresh clone on the same machine reuses it.
CACHE = Path(os.environ.get("RIIR_COMPAT_CACHE", Path.home() / ".cache" / "riir-airflow" / "compat")) / "timetables"
CRON_CLASSES = {"CronDataIntervalTimetable", "CronTriggerTimetable", "MultipleCronTriggerTimetable"}


def cases_key() -> str:
    """Changes whenever the cases or the generator change, so stale tables are regenerated."""
    digest = hashlib.sha256()
    for name in ("cases.py", "generate.py"):
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()[:16]


def airflow_tables(regenerate: bool = False) -> dict[str, Any]:
    """Real Airflow's answers, generated into the compat cache (once per version of the cases)."""
    target = CACHE / f"airflow-{cases_key()}.json"
    if regenerate or not target.exists():
        from airflow_env import airflow_python

        python = airflow_python()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        subprocess.run([str(python), str(HERE / "generate.py"), str(target)], check=True, env=env)
    data: dict[str, Any] = json.loads(target.read_text())
    return data


def _utc(text: str | None) -> pendulum.DateTime | None:
    return None if text is None else pendulum.parse(text).in_timezone("UTC")  # type: ignore[union-attr]


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else pendulum.instance(value).in_timezone("UTC").isoformat()


def _delta(spec: dict[str, Any]) -> Any:
    if "timedelta" in spec:
        return dt.timedelta(seconds=spec["timedelta"])
    kwargs = dict(spec["relativedelta"])
    if "weekday" in kwargs:
        from dateutil.relativedelta import weekday

        kwargs["weekday"] = weekday(*kwargs["weekday"])
    return relativedelta(**kwargs)


def build_timetable(spec: dict[str, Any]) -> Any:
    from riir_airflow.schedules import timetables as t

    cls = spec["class"]
    if cls == "CronDataIntervalTimetable":
        return t.CronDataIntervalTimetable(spec["cron"], pendulum.timezone(spec["timezone"]))
    if cls == "CronTriggerTimetable":
        kwargs: dict[str, Any] = {}
        if "interval" in spec:
            kwargs["interval"] = _delta(spec["interval"])
        if "run_immediately" in spec:
            ri = spec["run_immediately"]
            kwargs["run_immediately"] = _delta(ri) if isinstance(ri, dict) else ri
        return t.CronTriggerTimetable(spec["cron"], timezone=pendulum.timezone(spec["timezone"]), **kwargs)
    if cls == "MultipleCronTriggerTimetable":
        return t.MultipleCronTriggerTimetable(*spec["crons"], timezone=pendulum.timezone(spec["timezone"]))
    if cls == "DeltaDataIntervalTimetable":
        return t.DeltaDataIntervalTimetable(_delta(spec["delta"]))
    if cls == "DeltaTriggerTimetable":
        kwargs = {"interval": _delta(spec["interval"])} if "interval" in spec else {}
        return t.DeltaTriggerTimetable(_delta(spec["delta"]), **kwargs)
    if cls == "EventsTimetable":
        dates = [pendulum.parse(x) for x in spec["event_dates"]]
        return t.EventsTimetable(dates, restrict_to_events=spec["restrict_to_events"])
    return getattr(t, cls)()


def run_timetable_case(case: dict[str, Any]) -> dict[str, Any]:
    from riir_airflow.schedules import timetables as t

    r = case["restriction"]
    t._now_override = _utc(r["now"])
    out: dict[str, Any] = {"rows": [], "error": None, "manual": []}
    timetable = build_timetable(case["timetable"])
    out["summary"] = timetable.summary
    out["description"] = timetable.description
    restriction = t.TimeRestriction(_utc(r["earliest"]), _utc(r["latest"]), r["catchup"])
    try:
        # One batch call for all steps: the Rust core feeds each interval into the next step.
        infos = timetable.next_dagrun_infos(last_automated_data_interval=None, restriction=restriction, n=STEPS)
    except Exception as exc:
        infos, out["error"] = [], f"{type(exc).__name__}: {exc}"
    if infos and len(infos) < STEPS:
        # The batch stops where a stepwise caller would get None or an error: take that one step too.
        try:
            timetable.next_dagrun_info(last_automated_data_interval=infos[-1].data_interval, restriction=restriction)
        except Exception as exc:
            out["error"] = f"{type(exc).__name__}: {exc}"
    for info in infos:
        di = info.data_interval
        out["rows"].append([_iso(info.run_after), _iso(di.start) if di else None, _iso(di.end) if di else None])
    for run_after in MANUAL_RUN_AFTER:
        try:
            di = timetable.infer_manual_data_interval(run_after=_utc(run_after))
            out["manual"].append([_iso(di.start), _iso(di.end)])
        except Exception as exc:
            out["manual"].append(f"{type(exc).__name__}")
    return out


def run_backfill_case(case: dict[str, Any]) -> dict[str, Any]:
    from riir_airflow.schedules import backfill
    from riir_airflow.schedules.timetables import create_timetable

    os.environ["AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS"] = str(case["create_cron_data_intervals"])
    schedule = case["schedule"]
    if isinstance(schedule, dict):
        schedule = _delta(schedule)
    timetable = create_timetable(schedule, pendulum.timezone(case["timezone"]))
    out: dict[str, Any] = {"timetable": type(timetable).__name__, "runs": [], "error": None}
    try:
        plan = backfill.plan_backfill(
            timetable,
            from_date=_utc(case["from_date"]),  # type: ignore[arg-type]
            to_date=_utc(case["to_date"]),  # type: ignore[arg-type]
            run_backwards=case["run_backwards"],
            reprocess_behavior=case["reprocess_behavior"],
            existing_runs={_utc(k): v for k, v in case["existing"].items()},  # type: ignore[misc]
            now=_utc(case["now"]),
            dag_id=f"backfill_{case['id']}",
        )
        for run in plan.runs:
            out["runs"].append([run.sort_ordinal, _iso(run.logical_date), _iso(run.run_after), run.action])
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def _failed_as_one(values: list[Any]) -> list[Any]:
    return ["failed" if isinstance(v, str) else v for v in values]


def _describable() -> bool:
    try:
        import cron_descriptor  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def compare(airflow: dict[str, Any]) -> tuple[list[str], dict[str, int]]:
    """Every difference as a line; plus counts of what was compared."""
    diffs: list[str] = []
    counts = {"timetable_cases": 0, "steps": 0, "backfill_cases": 0, "backfill_runs": 0}
    describable = _describable()
    sample = airflow.get("sample", 1)
    for case in timetable_cases()[::sample]:
        want = airflow["timetables"][case["id"]]
        got = run_timetable_case(case)
        counts["timetable_cases"] += 1
        counts["steps"] += len(want["rows"])
        label = f"{case['id']} {json.dumps(case['timetable'])} {json.dumps(case['restriction'])}"
        if got["rows"] != want["rows"]:
            first = next(
                (i for i, (a, b) in enumerate(zip(got["rows"], want["rows"], strict=False)) if a != b),
                min(len(got["rows"]), len(want["rows"])),
            )
            diffs.append(
                f"{label}: step {first}: riir {got['rows'][first : first + 1]} "
                f"airflow {want['rows'][first : first + 1]} "
                f"(riir {len(got['rows'])} rows, airflow {len(want['rows'])})"
            )
        if (got["error"] is None) != (want["error"] is None):
            diffs.append(f"{label}: error riir {got['error']!r} airflow {want['error']!r}")
        # A failing manual interval is compared as "failed": Airflow lets croniter's own exception escape there.
        if _failed_as_one(got["manual"]) != _failed_as_one(want["manual"]):
            diffs.append(f"{label}: manual riir {got['manual']} airflow {want['manual']}")
        if got["summary"] != want["summary"]:
            diffs.append(f"{label}: summary riir {got['summary']!r} airflow {want['summary']!r}")
        if (describable or case["timetable"]["class"] not in CRON_CLASSES) and got["description"] != want[
            "description"
        ]:
            diffs.append(f"{label}: description riir {got['description']!r} airflow {want['description']!r}")
    for case in backfill_cases()[::sample]:
        want = airflow["backfills"][case["id"]]
        got = run_backfill_case(case)
        counts["backfill_cases"] += 1
        counts["backfill_runs"] += len(want["runs"])
        if got != want:
            diffs.append(f"{case['id']} {json.dumps(case)[:200]}: riir {got} airflow {want}")
    return diffs, counts


def main() -> int:
    if "--table" in sys.argv:  # compare against a given table file (e.g. a --sample run of generate.py)
        airflow = json.loads(Path(sys.argv[sys.argv.index("--table") + 1]).read_text())
    else:
        airflow = airflow_tables(regenerate="--regenerate" in sys.argv)
    diffs, counts = compare(airflow)
    for line in diffs:
        print(line)
    print(f"compared against Airflow {airflow['airflow_version']}: {counts}; {len(diffs)} differences")
    return 1 if diffs or airflow.get("sample", 1) != 1 else 0


if __name__ == "__main__":
    sys.exit(main())
