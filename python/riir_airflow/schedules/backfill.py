"""Backfill planning as Airflow 3's `backfill create` does it (the plan only; creating runs is the metastore's job).

`plan_backfill` validates the request like Airflow, asks the timetable for the runs between `from_date` and
`to_date` (only intervals that ended before now), orders them (newest first with `run_backwards`), numbers them
and decides per logical date: create a run, clear the existing one, or skip it ("in flight", "already exists").
Rust-backed timetables are planned in one call into the core; custom Python timetables are iterated here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from riir_airflow import _core
from riir_airflow.exceptions import AirflowException
from riir_airflow.schedules import timetables as t


class AlreadyRunningBackfill(AirflowException):
    """Another backfill is running for the DAG."""


class DagNonPeriodicScheduleException(AirflowException):
    """The DAG's schedule (None, @once, @continuous, assets) cannot be backfilled."""


class InvalidBackfillDirection(AirflowException):
    """A reverse backfill of a DAG with depends_on_past tasks."""


class InvalidReprocessBehavior(AirflowException):
    """The reprocess behavior does not suit the DAG."""


class InvalidBackfillDate(AirflowException):
    """The backfill range lies in the future."""


class InvalidBackfillDateRange(AirflowException):
    """from_date is after to_date."""


class NoBackfillRunsToCreate(ValueError):
    """The range holds no runs of the DAG's schedule."""


REPROCESS_BEHAVIORS = ("none", "failed", "completed")


@dataclass(frozen=True)
class PlannedRun:
    """One run of a backfill plan."""

    sort_ordinal: int
    logical_date: dt.datetime
    run_after: dt.datetime
    data_interval: t.DataInterval | None
    # "create", "clear", or the reason it is skipped: "in flight" / "already exists".
    action: str


@dataclass(frozen=True)
class BackfillPlan:
    """What `backfill create` would do."""

    dag_id: str
    from_date: dt.datetime
    to_date: dt.datetime
    run_backwards: bool
    reprocess_behavior: str
    max_active_runs: int
    runs: list[PlannedRun] = field(default_factory=list)


def _infos(
    timetable: t.Timetable, from_date: dt.datetime, to_date: dt.datetime, now: dt.datetime, run_backwards: bool
) -> list[t.DagRunInfo]:
    if isinstance(timetable, t._RustTimetable):
        rows = timetable._core_timetable().backfill_infos(
            t.to_us(from_date), t.to_us(to_date), t.to_us(now), run_backwards
        )
        return [
            t.DagRunInfo(run_after=t.from_us(r), data_interval=t.DataInterval(t.from_us(s), t.from_us(e)))
            for r, s, e in rows
        ]
    restriction = t.TimeRestriction(earliest=from_date, latest=to_date, catchup=True)
    infos: list[t.DagRunInfo] = []
    info: t.DagRunInfo | None = None
    while True:
        info = timetable.next_dagrun_info_v2(last_dagrun_info=info, restriction=restriction)
        if info is None:
            break
        infos.append(info)
    infos = [i for i in infos if i.data_interval is not None and i.data_interval.end < now]
    return infos[::-1] if run_backwards else infos


def plan_backfill(
    timetable: t.Timetable,
    *,
    from_date: dt.datetime,
    to_date: dt.datetime,
    run_backwards: bool = False,
    reprocess_behavior: str | None = None,
    max_active_runs: int = 10,
    existing_runs: Mapping[dt.datetime, str] | None = None,
    depends_on_past: bool = False,
    now: dt.datetime | None = None,
    dag_id: str = "",
) -> BackfillPlan:
    """Plan a backfill of `timetable` over `[from_date, to_date]`.

    `existing_runs` maps a logical date to the state of the latest run already there. Raises Airflow's
    exceptions for a non-periodic schedule, a reversed range, a future range, a reverse backfill with
    depends_on_past, and a range without runs.
    """
    behavior = reprocess_behavior or "none"
    if behavior not in REPROCESS_BEHAVIORS:
        raise ValueError(f"'{behavior}' is not a valid ReprocessBehavior")
    if max_active_runs < 1:
        raise ValueError("max_active_runs must be at least 1")
    if not timetable.periodic:
        raise DagNonPeriodicScheduleException(f"{dag_id} has a non-periodic schedule that does not support backfills")
    now = now or t.utcnow()
    if from_date > to_date:
        raise InvalidBackfillDateRange(
            f"from_date ({from_date.isoformat()}) must not be after to_date ({to_date.isoformat()})."
        )
    if from_date >= now and to_date >= now:
        raise InvalidBackfillDate("Backfill cannot be executed for future dates.")
    if depends_on_past:
        if run_backwards:
            raise InvalidBackfillDirection(
                "Backfill cannot be run in reverse when the Dag has tasks where depends_on_past=True."
            )
        if reprocess_behavior in (None, "none"):
            raise InvalidReprocessBehavior(
                "Dag has tasks for which depends_on_past=True. "
                "You must set reprocess behavior to reprocess completed or reprocess failed."
            )
    infos = _infos(timetable, from_date, to_date, now, run_backwards)
    if not infos:
        raise NoBackfillRunsToCreate(f"No runs to create for Dag {dag_id} in the range [{from_date}, {to_date}]")
    existing = {t.to_us(k): v for k, v in (existing_runs or {}).items()}
    logical_us = [t.to_us(i.logical_date) for i in infos if i.logical_date is not None]
    # The core numbers the dates in the order given (already reversed when run_backwards).
    actions = _core.plan_backfill(logical_us, list(existing.items()), behavior, False)
    runs = [
        PlannedRun(
            sort_ordinal=ordinal,
            logical_date=info.logical_date or info.run_after,
            run_after=info.run_after,
            data_interval=info.data_interval,
            action=action,
        )
        for ordinal, (info, (_, action)) in enumerate(zip(infos, actions, strict=True), start=1)
    ]
    return BackfillPlan(
        dag_id=dag_id,
        from_date=from_date,
        to_date=to_date,
        run_backwards=run_backwards,
        reprocess_behavior=behavior,
        max_active_runs=max_active_runs,
        runs=runs,
    )
