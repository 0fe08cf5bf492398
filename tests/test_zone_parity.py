"""Time-zone parity with Python's zoneinfo (what pendulum, and so Airflow, uses) for every zone it knows.

The core reads zones from the same TZif files. A weekly Sunday 02:30 schedule is stepped as Airflow's
`CronMixin._get_next` does (to the wall clock, next match, back to an instant), so it crosses the DST changes
that most zones make on a Sunday morning, in years of local mean time, wartime rules, today and after the last
listed transition (where both extend the zone's last rule).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from riir_airflow import _core
from riir_airflow.exceptions import AirflowTimetableInvalid

UTC = dt.UTC
# 1900 (local mean time), 1943 (wartime rules), 1975, 2024 and 2150 (past every zone's last transition).
STARTS = [dt.datetime(year, 1, 1, tzinfo=UTC) for year in (1900, 1943, 1975, 2024, 2150)]
STEPS = 60  # weekly steps: more than a year from each start


def _aware(wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """pendulum's reading of a wall-clock time: in a gap the offset before it, in a fold the second occurrence.

    zoneinfo gives the earlier offset for fold=0 and the later one for fold=1; in a gap the earlier offset gives
    the later instant and in a fold the later offset does, so the later instant is pendulum's either way.
    """
    first, second = (wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    return max(first, second)


def _next_sunday_0230(current: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Airflow's `_get_next` for `30 2 * * 0` from the instant `current`."""
    wall = current.astimezone(zone).replace(tzinfo=None)
    candidate = dt.datetime.combine(wall.date(), dt.time(2, 30)) + dt.timedelta(days=(6 - wall.weekday()) % 7)
    if candidate <= wall:
        candidate += dt.timedelta(days=7)
    return _aware(candidate, zone)


def _us(t: dt.datetime) -> int:
    return (t - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1)


def test_every_zone_agrees_with_zoneinfo() -> None:
    cron = _core.Cron("30 2 * * 0")
    zones = sorted(zoneinfo.available_timezones())
    assert len(zones) > 300, "no tz database found for zoneinfo"
    mismatches = []
    for name in zones:
        zone = zoneinfo.ZoneInfo(name)
        for start in STARTS:
            expected, current = [], start
            for _ in range(STEPS):
                current = _next_sunday_0230(current, zone)
                expected.append(_us(current))
            got = cron.next_in_zone(name, _us(start), STEPS)
            if got != expected:
                first = next(i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b)
                mismatches.append(f"{name} from {start:%Y}: step {first} got {got[first]}, zoneinfo {expected[first]}")
    assert not mismatches, f"{len(mismatches)} zone/start pairs differ, e.g. {mismatches[:5]}"


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "europe/amsterdam", "Europe/"])
def test_unknown_zone_is_an_error_naming_it(name: str) -> None:
    with pytest.raises(AirflowTimetableInvalid, match=f"timezone '{name}'.*unknown IANA time zone"):
        _core.Cron("0 0 * * *").next_in_zone(name, 0, 1)
