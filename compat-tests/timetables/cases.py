"""The timetable and backfill cases both sides run: plain data, importable without Airflow or riir_airflow.

A timetable case names a timetable class with its arguments, a time restriction (start/end date, catchup), the
pinned "now" and how many consecutive `next_dagrun_info` steps to take. Times are ISO strings; start and end
dates are converted to UTC before use, as Airflow's scheduler reads them back from the serialized DAG.
"""

from __future__ import annotations

import itertools
from typing import Any

STEPS = 500
NOW = "2025-06-15T12:34:56+00:00"

ZONES = ["UTC", "Europe/Amsterdam", "America/New_York"]
# Start dates just before the 2024 DST transitions of the two zones (and a plain one).
STARTS = {
    "UTC": ["2024-01-01T00:00:00+00:00"],
    "Europe/Amsterdam": ["2024-03-30T00:00:00+01:00", "2024-10-26T00:00:00+02:00", "2024-03-31T01:45:00+01:00"],
    "America/New_York": ["2024-03-09T00:00:00-05:00", "2024-11-02T00:00:00-04:00", "2024-11-03T01:30:00-04:00"],
}
# "Now" values for catchup=False, around DST transitions too.
NOWS = {
    "UTC": [NOW],
    "Europe/Amsterdam": [NOW, "2024-03-31T00:59:00+00:00", "2024-10-27T00:30:00+00:00"],
    "America/New_York": [NOW, "2024-03-10T06:59:30+00:00", "2024-11-03T05:45:00+00:00"],
}

CRONS = [
    "@hourly",
    "@daily",
    "@weekly",
    "@monthly",
    "@quarterly",
    "@yearly",
    "30 2 * * *",
    "0 2 * * *",
    "30 1 * * *",
    "*/15 * * * *",
    "0 */2 * * *",
    "15 * * * 1-5",
    "0 9 * * 1#2",
    "0 0 L * *",
    "0 6 15W * *",
    "0 12 13 * 5",
    "0 0,12 1 */2 *",
    "5 4 * * sun",
    "0 1-3 * * *",
    "45 23 * * L6",
    "45 23 * * 6L",  # invalid for croniter: both sides must refuse it
    "0 0 29 2 *",
    "*/20 * * * * 30",
]

DELTAS: list[dict[str, Any]] = [
    {"timedelta": 3600},
    {"timedelta": 6 * 3600},
    {"timedelta": 86400},
    {"timedelta": 5400},
    {"relativedelta": {"months": 1}},
    {"relativedelta": {"months": 1, "days": 2}},
    {"relativedelta": {"weeks": 1}},
    {"relativedelta": {"years": 1}},
    # Absolute fields: the first of each month at 06:00, every Friday, every day at 02:30.
    {"relativedelta": {"months": 1, "day": 1, "hour": 6}},
    {"relativedelta": {"weeks": 1, "weekday": [4, 1]}},
    {"relativedelta": {"days": 1, "hour": 2, "minute": 30}},
]


def _restrictions(zone: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for start in STARTS[zone]:
        out.append({"earliest": start, "latest": None, "catchup": True, "now": NOW})
    out.append({"earliest": STARTS[zone][0], "latest": "2024-06-01T00:00:00+00:00", "catchup": True, "now": NOW})
    for now in NOWS[zone]:
        out.append({"earliest": STARTS[zone][0], "latest": None, "catchup": False, "now": now})
    out.append({"earliest": None, "latest": None, "catchup": False, "now": NOWS[zone][-1]})
    return out


def timetable_cases() -> list[dict[str, Any]]:
    """Every timetable case, with a stable id. Each cron expression meets each DST zone under a rotating choice of
    start date (catchup), end date and pinned "now" (no catchup), so every transition is crossed by many schedules
    while Airflow's tables stay quick to generate."""
    cases: list[dict[str, Any]] = []

    def add(timetable: dict[str, Any], restriction: dict[str, Any], **extra: Any) -> None:
        cases.append({"id": f"tt{len(cases):04d}", "timetable": timetable, "restriction": restriction, **extra})

    for i, cron in enumerate(CRONS):
        for zone in ZONES:
            starts, nows = STARTS[zone], NOWS[zone]
            chosen = [
                {"earliest": starts[i % len(starts)], "latest": None, "catchup": True, "now": NOW},
                {"earliest": starts[(i + 1) % len(starts)], "latest": "2024-06-01T00:00:00+00:00", "catchup": True,
                 "now": NOW},
                {"earliest": starts[0], "latest": None, "catchup": False, "now": nows[i % len(nows)]},
            ]  # fmt: skip
            if zone == "UTC":
                chosen = chosen[:1]
            for r in chosen:
                add({"class": "CronDataIntervalTimetable", "cron": cron, "timezone": zone}, r)
                add({"class": "CronTriggerTimetable", "cron": cron, "timezone": zone}, r)
        if i % 4 == 0:
            # A data interval before each trigger, fixed and calendar.
            zone = ZONES[1 + (i // 4) % 2]
            r = {"earliest": STARTS[zone][0], "latest": None, "catchup": True, "now": NOW}
            add({"class": "CronTriggerTimetable", "cron": cron, "timezone": zone, "interval": {"timedelta": 3600}}, r)
            add(
                {
                    "class": "CronTriggerTimetable",
                    "cron": cron,
                    "timezone": zone,
                    "interval": {"relativedelta": {"months": 1}},
                },
                r,
            )
    # No start date: run_immediately decides the first run.
    for cron, zone, run_immediately in itertools.product(
        ["@daily", "*/15 * * * *"], ZONES, [True, False, None, {"timedelta": 1800}]
    ):
        for catchup in (True, False):
            add(
                {"class": "CronTriggerTimetable", "cron": cron, "timezone": zone, "run_immediately": run_immediately},
                {"earliest": None, "latest": None, "catchup": catchup, "now": NOWS[zone][-1]},
            )
    for zone in ZONES:
        for r in _restrictions(zone)[:2] + _restrictions(zone)[-2:]:
            add(
                {
                    "class": "MultipleCronTriggerTimetable",
                    "crons": ["0 9 * * 1-5", "30 14 * * 6,0", "0 9 * * 1"],
                    "timezone": zone,
                },
                r,
            )
    for i, delta in enumerate(DELTAS):
        restrictions = _restrictions("UTC") + _restrictions("Europe/Amsterdam")
        for r in (restrictions[i % len(restrictions)], restrictions[(i + 5) % len(restrictions)], restrictions[-1]):
            add({"class": "DeltaDataIntervalTimetable", "delta": delta}, r)
            add({"class": "DeltaTriggerTimetable", "delta": delta}, r)
        add({"class": "DeltaTriggerTimetable", "delta": delta, "interval": {"timedelta": 600}}, _restrictions("UTC")[0])
    for zone in ZONES:
        for r in (_restrictions(zone)[0], _restrictions(zone)[-2], _restrictions(zone)[-1]):
            add({"class": "OnceTimetable"}, r)
            add({"class": "ContinuousTimetable"}, r)
            add({"class": "NullTimetable"}, r)
            add(
                {
                    "class": "EventsTimetable",
                    "event_dates": [
                        "2024-03-31T02:30:00+02:00",
                        "2024-01-05T10:00:00+01:00",
                        "2024-11-03T01:30:00-05:00",
                        "2025-07-01T00:00:00+00:00",
                        "2024-06-01T00:00:00+00:00",
                    ],
                    "restrict_to_events": zone != "UTC",
                },
                r,
            )
    return cases


# Instants at which `infer_manual_data_interval(run_after=...)` is compared for every case.
MANUAL_RUN_AFTER = [
    "2024-03-31T01:30:00+00:00",
    "2024-10-27T00:30:00+00:00",
    "2024-11-03T06:00:00+00:00",
    "2025-06-15T12:34:56+00:00",
    "2024-02-29T00:00:00+00:00",
]


def backfill_cases() -> list[dict[str, Any]]:
    """Backfill cases: schedule, range, direction, reprocess behavior, and the runs that already exist."""
    existing = {
        "2024-01-03T00:00:00+00:00": "success",
        "2024-01-04T00:00:00+00:00": "failed",
        "2024-01-05T00:00:00+00:00": "running",
        "2024-01-06T00:00:00+00:00": "queued",
    }
    cases: list[dict[str, Any]] = []
    schedules: list[tuple[Any, str]] = [
        ("@daily", "UTC"),
        ("0 2 * * *", "Europe/Amsterdam"),
        ("0 */6 * * *", "America/New_York"),
        ("@weekly", "UTC"),
        ({"timedelta": 43200}, "UTC"),
        ({"relativedelta": {"months": 1}}, "UTC"),
    ]
    ranges = [
        ("2024-01-01T00:00:00+00:00", "2024-01-10T00:00:00+00:00"),
        ("2024-03-28T00:00:00+00:00", "2024-04-02T00:00:00+00:00"),
        ("2024-10-25T00:00:00+00:00", "2024-11-05T00:00:00+00:00"),
        ("2025-06-10T00:00:00+00:00", "2025-06-20T00:00:00+00:00"),  # runs into "now"
    ]
    for (schedule, zone), (start, end) in itertools.product(schedules, ranges):
        for data_intervals in (False, True):
            for reverse, behavior in (
                (False, "none"),
                (True, "failed"),
                (False, "completed"),
            ):
                cases.append(
                    {
                        "id": f"bf{len(cases):04d}",
                        "schedule": schedule,
                        "timezone": zone,
                        "create_cron_data_intervals": data_intervals,
                        "from_date": start,
                        "to_date": end,
                        "run_backwards": reverse,
                        "reprocess_behavior": behavior,
                        "existing": existing,
                        "now": NOW,
                    }
                )
    # Validation errors.
    for frm, to in (
        ("2024-01-10T00:00:00+00:00", "2024-01-01T00:00:00+00:00"),
        ("2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"),
    ):
        cases.append(
            {
                "id": f"bf{len(cases):04d}",
                "schedule": "@daily",
                "timezone": "UTC",
                "create_cron_data_intervals": False,
                "from_date": frm,
                "to_date": to,
                "run_backwards": False,
                "reprocess_behavior": "none",
                "existing": {},
                "now": NOW,
            }
        )
    return cases
