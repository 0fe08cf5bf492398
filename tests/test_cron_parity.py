"""Cron parity with croniter (the library Airflow uses) on generated expressions and start times.

Every generated expression is parsed by both; where croniter accepts it, `get_next` and `get_prev` from several
start times must give the same wall-clock time (or both fail to find one within croniter's 50 years).
"""

from __future__ import annotations

import datetime as dt
import random

import pendulum
import pytest
from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from riir_airflow import _core
from riir_airflow.exceptions import AirflowException, AirflowTimetableInvalid
from riir_airflow.schedules.timetables import to_us

EPOCH = dt.datetime(1970, 1, 1)
US = dt.timedelta(microseconds=1)
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def _to_us(t: dt.datetime) -> int:
    return (t - EPOCH) // US


def _from_us(us: int | None) -> dt.datetime | None:
    return None if us is None else EPOCH + dt.timedelta(microseconds=us)


def _simple(rng: random.Random, lo: int, hi: int, names: list[str] | None = None, name_base: int = 0) -> str:
    """One list item of a field: number, name, range, step or star."""

    def value() -> str:
        v = rng.randint(lo, hi)
        if names and rng.random() < 0.3 and 0 <= v - name_base < len(names):
            return names[v - name_base].upper() if rng.random() < 0.5 else names[v - name_base]
        return str(v)

    kind = rng.random()
    if kind < 0.35:
        return value()
    if kind < 0.55:
        return f"{value()}-{value()}"
    if kind < 0.7:
        return f"*/{rng.randint(1, max(1, hi - lo))}"
    if kind < 0.85:
        return f"{value()}-{value()}/{rng.randint(1, 10)}"
    if kind < 0.92:
        return f"{value()}/{rng.randint(1, 15)}"
    return "*"


def _field(rng: random.Random, lo: int, hi: int, names: list[str] | None = None, name_base: int = 0) -> str:
    if rng.random() < 0.35:
        return "*"
    return ",".join(_simple(rng, lo, hi, names, name_base) for _ in range(rng.choice([1, 1, 1, 2, 3])))


def _dom(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.08:
        return "L"
    if r < 0.14:
        return f"{rng.randint(1, 31)}W" if rng.random() < 0.7 else f"W{rng.randint(1, 31)}"
    if r < 0.18:
        return f"{rng.randint(1, 28)},L"
    if r < 0.2:
        return "?"
    return _field(rng, 1, 31)


def _dow(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.1:
        return f"{rng.choice([str(rng.randint(0, 7)), rng.choice(DAYS)])}#{rng.randint(1, 5)}"
    if r < 0.13:
        return f"{rng.randint(0, 6)}#{rng.randint(1, 5)},{rng.randint(0, 6)}#{rng.randint(1, 5)}"
    if r < 0.2:
        return f"L{rng.randint(0, 6)}"
    if r < 0.23:
        return f"{rng.choice(DAYS)}-{rng.choice(DAYS)}#{rng.randint(1, 5)}"
    return _field(rng, 0, 7, DAYS)


def generate_bad_expression(rng: random.Random) -> str:
    """An expression croniter rejects (out of range, misplaced W or ?, mixed nth, bad step, wrong length...)."""
    n = rng.randint
    return rng.choice(
        [
            f"{n(60, 99)} * * * *",
            f"* {n(24, 40)} * * *",
            f"* * {n(32, 40)} * *",
            "* * 0 * *",
            f"* * * {n(13, 20)} *",
            f"* * {n(1, 28)}W,{n(1, 28)} * *",
            f"* * * * {n(0, 6)}#{n(1, 5)},{n(0, 6)}",
            f"* * * * {n(0, 6)}#{rng.choice([0, 6, 7, 9])}",
            "*/0 * * * *",
            "* * * * * * * *"[: 2 * n(1, 4) - 1],
            "? * * * *",
            "* * 1? * *",
            f"{n(0, 30)}-{n(61, 90)} * * * *",
            f"* * * {rng.choice(['foo', 'janu', 'mon'])} *",
            f"* * * * {rng.choice(['jan', 'sunday', 'x'])}",
            f"* * * * * {n(60, 70)}",
            f"* * * * * 0 {n(1900, 1969)}",
        ]
    )


def generate_expression(rng: random.Random) -> str:
    if rng.random() < 0.04:
        return generate_bad_expression(rng)
    fields = [
        _field(rng, 0, 59) if rng.random() < 0.8 else str(rng.randint(0, 59)),
        _field(rng, 0, 23),
        _dom(rng),
        _field(rng, 1, 12, MONTHS, 1),
        _dow(rng),
    ]
    shape = rng.random()
    if shape < 0.12:
        fields.append(_field(rng, 0, 59))
    elif shape < 0.15:
        fields.append(_field(rng, 0, 59))
        fields.append(_field(rng, 2020, 2060))
    return " ".join(fields)


def generate_start(rng: random.Random) -> dt.datetime:
    start = dt.datetime(1995, 1, 1) + dt.timedelta(seconds=rng.randint(0, 60 * 365 * 86400))
    if rng.random() < 0.3:
        start = start.replace(second=0)
    if rng.random() < 0.3:
        start = start.replace(minute=0)
    if rng.random() < 0.2:
        start = start.replace(microsecond=rng.randint(0, 999_999))
    return start


def _croniter_step(expr: str, start: dt.datetime, forward: bool) -> dt.datetime | None:
    it = croniter(expr, start)
    try:
        result = it.get_next(dt.datetime) if forward else it.get_prev(dt.datetime)
    except CroniterBadDateError:
        return None
    assert isinstance(result, dt.datetime)
    return result


FIXED_EXPRESSIONS = [
    "0 0 * * *",
    "*/5 * * * *",
    "0 0 L * *",
    "0 0 15W * *",
    "0 0 1W * *",
    "0 0 31W * *",
    "0 9 * * 1#1",
    "0 9 * * 5#5",
    "0 9 * * L5",
    "0 0 13 * 5",
    "0 0 13 * fri#2",
    "0 0 15W * mon",
    "0 0 1-7 * mon",
    "0 0 1-31 * */2",
    "0 0 1-31 * 1",
    "0 0 29 2 *",
    "0 0 30 2 *",
    "0 12 31 4,6,9,11 *",
    "5-5 * * * *",
    "59/15 * * * *",
    "0 0 * APR-JAN/3 *",
    "0 0 * * SAT-SUN",
    "0 0 * * 5-7",
    "* * * * * */15",
    "0 0 1 1 * 0 2030-2040/3",
    "@midnight",
    "@annually",
    "0 0 ? * MON",
]


def _cases() -> list[tuple[str, dt.datetime]]:
    rng = random.Random(20241127)
    cases: list[tuple[str, dt.datetime]] = []
    for expr in FIXED_EXPRESSIONS:
        cases.extend((expr, generate_start(rng)) for _ in range(40))
    while len(cases) < 10_800:
        expr = generate_expression(rng)
        cases.extend((expr, generate_start(rng)) for _ in range(3))
    return cases


@pytest.mark.timeout(600)
def test_cron_matches_croniter_on_generated_pairs() -> None:
    by_expr: dict[str, list[dt.datetime]] = {}
    for expr, start in _cases():
        by_expr.setdefault(expr, []).append(start)
    compared = rejected = 0
    mismatches: list[str] = []
    for expr, starts in by_expr.items():
        try:
            croniter(expr)
        except CroniterBadCronError:
            with pytest.raises(AirflowTimetableInvalid):
                _core.Cron(expr)
            rejected += 1
            continue
        cron = _core.Cron(expr)
        start_us = [_to_us(s) for s in starts]
        nexts = cron.next_naive(start_us)
        prevs = cron.prev_naive(start_us)
        for start, got_next, got_prev in zip(starts, nexts, prevs, strict=True):
            for forward, got in ((True, got_next), (False, got_prev)):
                want = _croniter_step(expr, start, forward)
                compared += 1
                if _from_us(got) != want:
                    mismatches.append(
                        f"{expr!r} from {start} {'next' if forward else 'prev'}: {_from_us(got)} != {want}"
                    )
    assert not mismatches, f"{len(mismatches)} of {compared} differ, e.g.:\n" + "\n".join(mismatches[:20])
    # At least 10,000 (expression, start) pairs were compared in each direction.
    assert compared >= 20_000, compared
    assert len(by_expr) > 2_000
    assert rejected > 0


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("* * *", "Exactly 5, 6 or 7 columns has to be specified for iterator expression."),
        ("60 * * * *", "[60 * * * *] is not acceptable, out of range"),
        ("0-61 * * * *", "0-61 * * * * is out of bands"),
        ("* * * foo *", "[* * * foo *] is not acceptable"),
        ("*/0 * * * *", "[*/0 * * * *] step '0' in field 0 is not acceptable"),
        ("* * * * 1#6", "[* * * * 1#6] is not acceptable. Invalid day_of_week value: '6'"),
        ("H * * * *", "Hashed definitions must include hash_id"),
        ("0 0 -1 * *", "[0 0 -1 * *] is not acceptable, negative numbers not allowed"),
    ],
)
def test_bad_cron_raises_airflow_timetable_invalid(expression: str, reason: str) -> None:
    # Airflow's CronMixin.validate raises AirflowTimetableInvalid(str(croniter_error)); ours names the expression
    # as well and carries croniter's reason word for word.
    with pytest.raises(CroniterBadCronError) as real:
        croniter(expression)
    assert str(real.value) == reason
    with pytest.raises(AirflowTimetableInvalid) as ours:
        _core.Cron(expression)
    assert isinstance(ours.value, AirflowException)
    assert f"'{expression}'" in str(ours.value)
    assert reason in str(ours.value)


def test_timetable_validate_raises_airflow_class() -> None:
    from riir_airflow.schedules.timetables import (
        CronDataIntervalTimetable,
        CronTriggerTimetable,
        DeltaDataIntervalTimetable,
        DeltaTriggerTimetable,
        MultipleCronTriggerTimetable,
    )

    for timetable in (
        CronTriggerTimetable("0 0 31 * * * * *", timezone="UTC"),
        CronDataIntervalTimetable("bogus", "UTC"),
    ):
        # Like Airflow, construction succeeds (description is empty) and validate() raises.
        assert timetable.description == ""
        with pytest.raises(AirflowTimetableInvalid, match="Exactly 5, 6 or 7 columns"):
            timetable.validate()
    multiple = MultipleCronTriggerTimetable("@daily", "61 * * * *", timezone="UTC")
    with pytest.raises(AirflowTimetableInvalid, match=r"'61 \* \* \* \*'.*out of range"):
        multiple.validate()
    for delta_timetable in (DeltaDataIntervalTimetable(dt.timedelta(0)), DeltaTriggerTimetable(dt.timedelta(-1))):
        with pytest.raises(
            AirflowTimetableInvalid, match=r"schedule interval must be positive, not datetime\.timedelta"
        ):
            delta_timetable.validate()
    with pytest.raises(ValueError, match="cron expression required"):
        MultipleCronTriggerTimetable(timezone="UTC")


def _airflow_step(expr: str, zone: str, current: dt.datetime, forward: bool) -> dt.datetime:
    """Airflow's `CronMixin._get_next` / `_get_prev`: croniter on the zone's wall clock; every-hour schedules step
    by the wall-clock difference, others are made aware with pendulum (fold=1: gap shifts forward, fold = second)."""
    tz = pendulum.timezone(zone)
    current = pendulum.instance(current)
    local = current.in_timezone(tz)
    naive = dt.datetime(local.year, local.month, local.day, local.hour, local.minute, local.second, local.microsecond)
    it = croniter(expr, start_time=naive)
    scheduled = it.get_next(dt.datetime) if forward else it.get_prev(dt.datetime)
    assert isinstance(scheduled, dt.datetime)
    if it.expanded[1] == ["*"]:
        return (current + (scheduled - naive)).in_timezone("UTC")
    return pendulum.instance(tz.convert(scheduled.replace(fold=1))).in_timezone("UTC")


ZONE_EXPRESSIONS = [
    "30 2 * * *",
    "0 2 * * *",
    "30 1 * * *",
    "*/15 * * * *",
    "30 * * * *",
    "0 */2 * * *",
    "0 1-3 * * *",
    "15 2 * * 0",
    "0 0 * * *",
    "* * * * * */30",
]
TRANSITIONS = {
    "Europe/Amsterdam": ["2024-03-31T01:00:00+00:00", "2024-10-27T01:00:00+00:00"],
    "America/New_York": ["2024-03-10T07:00:00+00:00", "2024-11-03T06:00:00+00:00"],
    "Australia/Lord_Howe": ["2024-04-06T15:00:00+00:00", "2024-10-05T15:30:00+00:00"],
}


def test_zone_steps_match_airflow_rules_around_dst() -> None:
    rng = random.Random(7)
    compared = 0
    mismatches: list[str] = []
    for zone, transitions in TRANSITIONS.items():
        for expr in ZONE_EXPRESSIONS:
            cron = _core.Cron(expr)
            for transition in transitions:
                center = pendulum.parse(transition)
                for _ in range(25):
                    current = center.add(seconds=rng.randint(-4 * 3600, 4 * 3600))
                    current_us = to_us(current)
                    for forward in (True, False):
                        want = _airflow_step(expr, zone, current, forward)
                        step = cron.next_in_zone if forward else cron.prev_in_zone
                        got = step(zone, current_us, 1)[0]
                        compared += 1
                        if got != to_us(want):
                            mismatches.append(f"{expr!r} {zone} from {current} forward={forward}: {got} != {want}")
    assert not mismatches, "\n".join(mismatches[:20])
    assert compared == 3 * 10 * 2 * 25 * 2
