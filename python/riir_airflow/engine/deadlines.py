"""Deadline alerts (`DAG(deadline=DeadlineAlert(reference, interval, callback))`): when a run's deadline falls, as
Airflow 3.3's `_process_deadline_alerts` computes it when a run is created.

The moment is the reference's time plus the interval: the run's logical date (`DAGRUN_LOGICAL_DATE`), when it was
queued (`DAGRUN_QUEUED_AT`), a fixed datetime, or now plus the average duration of the DAG's latest successful runs
(`AVERAGE_RUNTIME`, None until `min_runs` of them exist). A reference without a time (a run without a logical
date) sets no deadline. The host stores the deadlines, fires a callback once its deadline has passed, and forgets
the deadlines of a run that succeeded (Airflow's `prune_deadlines`): a failed run's deadline still fires.
`dags test` sets none (Airflow's does not either: only its scheduler checks them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pendulum

# Durations (seconds) of the DAG's latest `limit` successful runs, newest first.
RecentDurations = Callable[[int], Awaitable[list[float]]]
# The value of an Airflow Variable (None when it is not set).
ReadVariable = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class RunTimes:
    """What the references read of a run."""

    logical_date: dt.datetime | None
    queued_at: dt.datetime | None
    dag_id: str = ""
    run_id: str = ""


def alerts_of(dag: Any) -> list[Any]:
    """The DAG's deadline alerts, in declaration order (their index names them in the store)."""
    deadline = getattr(dag, "deadline", None)
    if deadline is None:
        return []
    return list(deadline) if isinstance(deadline, (list, tuple)) else [deadline]


async def interval_of(alert: Any, variable: ReadVariable) -> dt.timedelta:
    """The alert's interval; a `VariableInterval` is read now, in whole seconds, as Airflow resolves it."""
    from riir_airflow.authoring.deadline import VariableInterval

    interval = alert.interval
    if not isinstance(interval, VariableInterval):
        return dt.timedelta(seconds=interval.total_seconds())
    value = await variable(interval.key)
    if value is None:
        raise ValueError(f"VariableInterval '{interval.key}' not found")
    try:
        return dt.timedelta(seconds=int(value))
    except ValueError:
        raise ValueError(f"VariableInterval '{interval.key}' must be whole seconds, not {value!r}") from None


async def deadline_time(
    alert: Any, run: RunTimes, *, variable: ReadVariable, durations: RecentDurations
) -> dt.datetime | None:
    """When the alert's deadline falls for the run, or None when its reference has no time for it."""
    from riir_airflow.authoring import deadline as authoring

    reference = alert.reference
    base: dt.datetime | None
    if isinstance(reference, authoring.DagRunLogicalDateDeadline):
        base = run.logical_date
    elif isinstance(reference, authoring.DagRunQueuedAtDeadline):
        base = run.queued_at
    elif isinstance(reference, authoring.FixedDatetimeDeadline):
        base = reference._datetime
    elif isinstance(reference, authoring.AverageRuntimeDeadline):
        found = await durations(reference.max_runs)
        if len(found) < (reference.min_runs or 0) or not found:
            return None
        base = pendulum.now("UTC") + dt.timedelta(seconds=sum(found) / len(found))
    elif callable(getattr(reference, "_evaluate_with", None)):
        base = await asyncio.to_thread(_evaluate_custom, reference, run)
    else:
        raise ValueError(
            f"deadline reference {reference.reference_name} of DAG {getattr(alert, 'name', None) or ''!s} has no "
            "_evaluate_with(): a custom reference registered with @deadline_reference must implement it"
        )
    if base is None:
        return None
    return base + await interval_of(alert, variable)


def _evaluate_custom(reference: Any, run: RunTimes) -> dt.datetime | None:
    """A `@deadline_reference` class's own `_evaluate_with`, called as Airflow calls it when a run is created: with
    the keyword arguments it lists in `required_kwargs` (of dag_id and run_id). riir has no ORM session: `session` is
    None, and a reference that queries through it fails with an error in the event log."""
    offered = {"dag_id": run.dag_id, "run_id": run.run_id}
    required = set(getattr(reference, "required_kwargs", set()) or set())
    if missing := required - offered.keys():
        raise ValueError(f"{type(reference).__name__} is missing required parameters: {', '.join(sorted(missing))}")
    result = reference._evaluate_with(session=None, **{k: v for k, v in offered.items() if k in required})
    if result is not None and not isinstance(result, dt.datetime):
        raise TypeError(f"{type(reference).__name__}._evaluate_with returned {result!r}, not a datetime")
    return result


def callback_context(run: Any, deadline_id: int, when: dt.datetime) -> dict[str, Any]:
    """The context a deadline callback gets (Airflow's `handle_miss`: the run as its REST API shows it, in JSON
    form, and the deadline)."""

    def iso(value: dt.datetime | None) -> str | None:
        return None if value is None else pendulum.instance(value).isoformat()

    return {
        "dag_run": {
            "dag_run_id": run.run_id,
            "dag_id": run.dag_id,
            "logical_date": iso(run.logical_date),
            "queued_at": iso(run.queued_at),
            "start_date": iso(run.start_date),
            "end_date": iso(run.end_date),
            "data_interval_start": iso(run.data_interval_start),
            "data_interval_end": iso(run.data_interval_end),
            "run_after": iso(run.run_after),
            "run_type": run.run_type,
            "state": run.state,
            "triggered_by": run.triggered_by,
            "conf": dict(run.conf or {}),
            "note": run.note,
        },
        "deadline": {"id": str(deadline_id), "deadline_time": when},
    }
