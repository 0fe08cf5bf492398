"""Runs the cases under real Airflow 3.3.2 and writes its answers as JSON tables.

Run with the reference venv's python (see compat-tests/airflow_env.py):
    $(python compat-tests/airflow_env.py) compat-tests/timetables/generate.py OUT.json
It uses Airflow's own timetable classes (airflow.timetables.*) and backfill helpers (airflow.models.backfill)
with "now" pinned per case; nothing here reimplements Airflow.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="riir-compat-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")

import pendulum
from cases import MANUAL_RUN_AFTER, STEPS, backfill_cases, timetable_cases
from dateutil.relativedelta import relativedelta


def _utc(text: str | None) -> pendulum.DateTime | None:
    return None if text is None else pendulum.parse(text).in_timezone("UTC")


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


class _Clock:
    """Pins Airflow's notion of now in every module that reads it."""

    def __init__(self) -> None:
        import airflow._shared.timezones.timezone as tzmod
        import airflow.models.backfill as backfill
        import airflow.timetables.interval as interval
        import airflow.timetables.trigger as trigger

        self.now = pendulum.now("UTC")
        now_fn = lambda: self.now  # noqa: E731
        tzmod.utcnow = now_fn
        interval.utcnow = now_fn
        trigger.utcnow = now_fn
        trigger.time = types.SimpleNamespace(time=lambda: self.now.timestamp())  # type: ignore[attr-defined]
        backfill.timezone = types.SimpleNamespace(utcnow=now_fn)  # type: ignore[attr-defined]


def build_timetable(spec: dict[str, Any]) -> Any:
    from airflow._shared.timezones.timezone import parse_timezone
    from airflow.timetables import events, interval, simple, trigger

    cls = spec["class"]
    if cls == "CronDataIntervalTimetable":
        return interval.CronDataIntervalTimetable(spec["cron"], parse_timezone(spec["timezone"]))
    if cls == "CronTriggerTimetable":
        kwargs: dict[str, Any] = {}
        if "interval" in spec:
            kwargs["interval"] = _delta(spec["interval"])
        if "run_immediately" in spec:
            ri = spec["run_immediately"]
            kwargs["run_immediately"] = _delta(ri) if isinstance(ri, dict) else ri
        return trigger.CronTriggerTimetable(spec["cron"], timezone=parse_timezone(spec["timezone"]), **kwargs)
    if cls == "MultipleCronTriggerTimetable":
        return trigger.MultipleCronTriggerTimetable(*spec["crons"], timezone=parse_timezone(spec["timezone"]))
    if cls == "DeltaDataIntervalTimetable":
        return interval.DeltaDataIntervalTimetable(_delta(spec["delta"]))
    if cls == "DeltaTriggerTimetable":
        kwargs = {"interval": _delta(spec["interval"])} if "interval" in spec else {}
        return trigger.DeltaTriggerTimetable(_delta(spec["delta"]), **kwargs)
    if cls == "EventsTimetable":
        dates = [pendulum.parse(x) for x in spec["event_dates"]]
        return events.EventsTimetable(dates, restrict_to_events=spec["restrict_to_events"])
    return getattr(simple, cls)()


def run_timetable_case(case: dict[str, Any], clock: _Clock) -> dict[str, Any]:
    from airflow.timetables.base import TimeRestriction

    r = case["restriction"]
    clock.now = _utc(r["now"])
    out: dict[str, Any] = {"rows": [], "error": None, "manual": []}
    timetable = build_timetable(case["timetable"])
    out["summary"] = timetable.summary
    out["description"] = timetable.description
    restriction = TimeRestriction(_utc(r["earliest"]), _utc(r["latest"]), r["catchup"])
    info = None
    try:
        for _ in range(STEPS):
            info = timetable.next_dagrun_info_v2(last_dagrun_info=info, restriction=restriction)
            if info is None:
                break
            di = info.data_interval
            out["rows"].append([_iso(info.run_after), _iso(di.start) if di else None, _iso(di.end) if di else None])
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    for run_after in MANUAL_RUN_AFTER:
        try:
            di = timetable.infer_manual_data_interval(run_after=_utc(run_after))
            out["manual"].append([_iso(di.start), _iso(di.end)])
        except Exception as exc:
            out["manual"].append(f"{type(exc).__name__}")
    return out


def run_backfill_case(case: dict[str, Any], clock: _Clock) -> dict[str, Any]:
    from airflow.models import backfill
    from airflow.sdk import DAG
    from airflow.serialization.serialized_objects import DagSerialization

    clock.now = _utc(case["now"])
    os.environ["AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS"] = str(case["create_cron_data_intervals"])
    schedule = case["schedule"]
    if isinstance(schedule, dict):
        schedule = _delta(schedule)
    dag = DAG(
        f"backfill_{case['id']}",
        schedule=schedule,
        start_date=pendulum.datetime(2020, 1, 1, tz=case["timezone"]),
        catchup=False,
    )
    serialized = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    out: dict[str, Any] = {"timetable": type(serialized.timetable).__name__, "runs": [], "error": None}
    from_date, to_date = _utc(case["from_date"]), _utc(case["to_date"])
    behavior = backfill.ReprocessBehavior(case["reprocess_behavior"])
    try:
        backfill._validate_backfill_params(serialized, case["run_backwards"], from_date, to_date, behavior)
        infos = backfill._get_info_list(
            from_date=from_date, to_date=to_date, reverse=case["run_backwards"], dag=serialized
        )
        if not infos:
            raise backfill.NoBackfillRunsToCreate(
                f"No runs to create for Dag {dag.dag_id} in the range [{from_date}, {to_date}]"
            )
        existing = {_utc(k): v for k, v in case["existing"].items()}
        for ordinal, info in enumerate(infos, start=1):
            state = existing.get(info.logical_date)
            if state is None:
                action = "create"
            else:
                reason = backfill._get_dag_run_no_create_reason(types.SimpleNamespace(state=state), behavior)
                action = reason.value if reason else "clear"
            out["runs"].append([ordinal, _iso(info.logical_date), _iso(info.run_after), action])
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def main() -> None:
    target = Path(sys.argv[1])
    # `--sample K` keeps every K-th case: a quick look while developing, never the committed check.
    sample = int(sys.argv[sys.argv.index("--sample") + 1]) if "--sample" in sys.argv else 1
    clock = _Clock()
    result = {
        "airflow_version": __import__("airflow").__version__,
        "sample": sample,
        "timetables": {c["id"]: run_timetable_case(c, clock) for c in timetable_cases()[::sample]},
        "backfills": {c["id"]: run_backfill_case(c, clock) for c in backfill_cases()[::sample]},
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=0, sort_keys=True))
    print(f"wrote {len(result['timetables'])} timetable and {len(result['backfills'])} backfill cases to {target}")


if __name__ == "__main__":
    main()
