"""The Python timetable layer: schedule= mapping, custom timetables, serialization, DST, next_executions, backfill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pendulum
import pytest
from dateutil.relativedelta import relativedelta

from riir_airflow.exceptions import AirflowTimetableInvalid
from riir_airflow.schedules import backfill
from riir_airflow.schedules import timetables as t
from riir_airflow.schedules.assets import Asset, AssetAll

UTC = pendulum.timezone("UTC")
AMS = pendulum.timezone("Europe/Amsterdam")
NOW = pendulum.datetime(2025, 6, 15, 12, 34, 56, tz="UTC")


@pytest.fixture(autouse=True)
def pinned_now() -> Iterator[None]:
    t._now_override = NOW
    yield
    t._now_override = None


def _starts(timetable: t.Timetable, earliest: dt.datetime | None, n: int, catchup: bool = True) -> list[str]:
    infos = timetable.next_dagrun_infos(
        last_automated_data_interval=None, restriction=t.TimeRestriction(earliest, None, catchup), n=n
    )
    return [pendulum.instance(i.run_after).isoformat() for i in infos]


@pytest.mark.parametrize(
    ("schedule", "data_intervals", "expected"),
    [
        (None, False, t.NullTimetable),
        ("@once", False, t.OnceTimetable),
        ("@continuous", False, t.ContinuousTimetable),
        ("@daily", False, t.CronTriggerTimetable),
        ("@daily", True, t.CronDataIntervalTimetable),
        ("*/5 * * * *", False, t.CronTriggerTimetable),
        (dt.timedelta(hours=1), False, t.DeltaTriggerTimetable),
        (dt.timedelta(hours=1), True, t.DeltaDataIntervalTimetable),
        (relativedelta(months=1), True, t.DeltaDataIntervalTimetable),
    ],
)
def test_create_timetable_follows_airflow_defaults(
    schedule: object, data_intervals: bool, expected: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS", str(data_intervals))
    assert type(t.create_timetable(schedule, UTC)) is expected


def test_create_timetable_with_timetables_and_assets() -> None:
    custom = t.EventsTimetable([NOW])
    assert t.create_timetable(custom, UTC) is custom
    asset = Asset("s3://bucket/key")
    single = t.create_timetable(asset, UTC)
    assert isinstance(single, t.AssetTriggeredTimetable) and single.asset_condition is asset
    both = t.create_timetable([asset, Asset("s3://bucket/other")], UTC)
    assert isinstance(both.asset_condition, AssetAll)
    assert both.summary == "Asset" and not both.periodic
    with pytest.raises(ValueError, match="should be either assets"):
        t.create_timetable([asset, "x"], UTC)
    with pytest.raises(ValueError, match="is not a valid schedule"):
        t.create_timetable(42, UTC)


def test_presets_resolve_and_summary() -> None:
    quarterly = t.CronTriggerTimetable("@quarterly", timezone=UTC)
    assert quarterly.summary == "0 0 1 */3 *"
    assert _starts(quarterly, pendulum.datetime(2024, 2, 1, tz="UTC"), 3) == [
        "2024-04-01T00:00:00+00:00",
        "2024-07-01T00:00:00+00:00",
        "2024-10-01T00:00:00+00:00",
    ]


def test_dst_gap_and_fold_in_amsterdam() -> None:
    # 02:30 does not exist on 2024-03-31 (runs at 03:30 CEST) and happens twice on 2024-10-27 (second one).
    timetable = t.CronTriggerTimetable("30 2 * * *", timezone=AMS)
    spring = _starts(timetable, pendulum.datetime(2024, 3, 30, tz=AMS), 3)
    assert spring == ["2024-03-30T01:30:00+00:00", "2024-03-31T01:30:00+00:00", "2024-04-01T00:30:00+00:00"]
    autumn = _starts(timetable, pendulum.datetime(2024, 10, 26, tz=AMS), 2)
    assert autumn == ["2024-10-26T00:30:00+00:00", "2024-10-27T01:30:00+00:00"]
    # Hourly runs in both folded hours.
    hourly = _starts(t.CronTriggerTimetable("30 * * * *", timezone=AMS), pendulum.datetime(2024, 10, 27, tz="UTC"), 3)
    assert hourly == ["2024-10-27T00:30:00+00:00", "2024-10-27T01:30:00+00:00", "2024-10-27T02:30:00+00:00"]


def test_data_interval_timetable_and_manual_runs() -> None:
    timetable = t.CronDataIntervalTimetable("@daily", UTC)
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None, restriction=t.TimeRestriction(None, None, catchup=False)
    )
    assert info is not None and info.logical_date == pendulum.datetime(2025, 6, 14, tz="UTC")
    manual = timetable.infer_manual_data_interval(run_after=pendulum.datetime(2025, 6, 15, 1, tz="UTC"))
    assert manual == t.DataInterval(pendulum.datetime(2025, 6, 14, tz="UTC"), pendulum.datetime(2025, 6, 15, tz="UTC"))
    trigger = t.CronTriggerTimetable("@daily", timezone=UTC, interval=dt.timedelta(hours=1))
    assert trigger.infer_manual_data_interval(run_after=NOW).start == NOW - dt.timedelta(hours=1)


class WeekdaysAtNine(t.Timetable):
    """A custom timetable written in Python (the fallback path)."""

    def next_dagrun_info(
        self, *, last_automated_data_interval: t.DataInterval | None, restriction: t.TimeRestriction
    ) -> t.DagRunInfo | None:
        start = last_automated_data_interval.end if last_automated_data_interval else restriction.earliest
        assert start is not None
        nxt = pendulum.instance(start).add(days=1).replace(hour=9, minute=0, second=0, microsecond=0)
        while nxt.weekday() >= 5:
            nxt = nxt.add(days=1)
        if restriction.latest is not None and nxt > restriction.latest:
            return None
        return t.DagRunInfo.exact(nxt)


def test_custom_python_timetable_works_everywhere() -> None:
    custom = WeekdaysAtNine()
    assert t.create_timetable(custom, UTC) is custom
    assert custom.summary == "WeekdaysAtNine"
    assert custom.type_name.endswith("WeekdaysAtNine") and "." in custom.type_name
    runs = t.next_executions(
        custom, 3, restriction=t.TimeRestriction(pendulum.datetime(2025, 6, 13, tz="UTC"), None, True)
    )
    assert [r.run_after.day for r in runs if r is not None] == [16, 17, 18]
    plan = backfill.plan_backfill(
        custom, from_date=pendulum.datetime(2025, 6, 1, tz="UTC"), to_date=pendulum.datetime(2025, 6, 6, tz="UTC")
    )
    # Runs at 09:00; the one on the 6th is after to_date (00:00).
    assert [r.logical_date.day for r in plan.runs] == [2, 3, 4, 5]
    encoded = t.encode_timetable(custom)
    assert encoded["__type"] == f"{__name__}.WeekdaysAtNine"
    assert isinstance(t.decode_timetable(encoded), WeekdaysAtNine)


@pytest.mark.parametrize(
    "timetable",
    [
        t.CronTriggerTimetable("0 9 * * 1-5", timezone=AMS, interval=relativedelta(days=1), run_immediately=True),
        t.CronTriggerTimetable("@hourly", timezone=UTC, run_immediately=dt.timedelta(minutes=10)),
        t.CronDataIntervalTimetable("@weekly", AMS),
        t.MultipleCronTriggerTimetable("0 9 * * 1", "0 17 * * 5", timezone=AMS),
        t.DeltaDataIntervalTimetable(dt.timedelta(hours=6)),
        t.DeltaDataIntervalTimetable(relativedelta(months=1)),
        t.DeltaTriggerTimetable(dt.timedelta(days=1), interval=dt.timedelta(hours=2)),
        t.NullTimetable(),
        t.OnceTimetable(),
        t.ContinuousTimetable(),
    ],
)
def test_serialize_round_trip(timetable: t.Timetable) -> None:
    encoded = t.encode_timetable(timetable)
    assert encoded["__type"].startswith("airflow.timetables.")
    decoded = t.decode_timetable(encoded)
    assert type(decoded) is type(timetable)
    assert decoded.serialize() == timetable.serialize()
    assert decoded.summary == timetable.summary


def test_serialized_form_matches_airflow_encoding() -> None:
    timetable = t.CronTriggerTimetable("@daily", timezone=AMS, interval=dt.timedelta(hours=1))
    assert timetable.serialize() == {
        "expression": "0 0 * * *",
        "timezone": "Europe/Amsterdam",
        "interval": 3600.0,
        "run_immediately": False,
    }
    assert t.DeltaDataIntervalTimetable(relativedelta(months=1)).serialize() == {"delta": {"months": 1}}


def test_next_executions_for_the_cli() -> None:
    # Without a start date the first run is the latest past fire time when it is within 10% of the gap (Airflow
    # 3.3 applies that rule for run_immediately=False too): 12:00 is 35 minutes before now.
    runs = t.next_executions(t.CronTriggerTimetable("0 12 * * *", timezone=UTC), 3)
    assert [r.run_after.isoformat() for r in runs if r is not None] == [
        "2025-06-15T12:00:00+00:00",
        "2025-06-16T12:00:00+00:00",
        "2025-06-17T12:00:00+00:00",
    ]
    assert t.next_executions(t.OnceTimetable(), 2)[-1] is None
    assert t.next_executions(t.NullTimetable(), 2) == [None]


def test_events_and_asset_or_time() -> None:
    events = t.EventsTimetable([NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=1)], restrict_to_events=True)
    assert events.summary == "2 events"
    info = events.next_dagrun_info(last_automated_data_interval=None, restriction=t.TimeRestriction(None, None, False))
    assert info is not None and info.run_after == NOW + dt.timedelta(days=1)
    combined = t.AssetOrTimeSchedule(timetable=t.CronTriggerTimetable("@daily", timezone=UTC), assets=[Asset("a")])
    assert combined.summary == "Asset or 0 0 * * *"
    assert combined.periodic and combined.can_be_scheduled
    combined.validate()
    nested = t.AssetOrTimeSchedule(timetable=t.AssetTriggeredTimetable(Asset("b")), assets=Asset("a"))
    with pytest.raises(AirflowTimetableInvalid, match="cannot nest asset timetables"):
        nested.validate()


def test_backfill_plan_order_and_existing_runs() -> None:
    timetable = t.CronTriggerTimetable("@daily", timezone=UTC)
    day = lambda d: pendulum.datetime(2025, 6, d, tz="UTC")  # noqa: E731
    plan = backfill.plan_backfill(
        timetable,
        from_date=day(1),
        to_date=day(5),
        run_backwards=True,
        reprocess_behavior="failed",
        existing_runs={day(2): "failed", day(3): "success", day(4): "running"},
    )
    got = [(r.sort_ordinal, r.logical_date.day, r.action) for r in plan.runs]
    assert got == [(1, 5, "create"), (2, 4, "in flight"), (3, 3, "already exists"), (4, 2, "clear"), (5, 1, "create")]
    with pytest.raises(backfill.InvalidBackfillDateRange):
        backfill.plan_backfill(timetable, from_date=day(5), to_date=day(1))
    with pytest.raises(backfill.InvalidBackfillDate, match="future dates"):
        backfill.plan_backfill(timetable, from_date=day(20), to_date=day(25))
    with pytest.raises(backfill.DagNonPeriodicScheduleException):
        backfill.plan_backfill(t.OnceTimetable(), from_date=day(1), to_date=day(2), dag_id="x")
    with pytest.raises(backfill.InvalidBackfillDirection):
        backfill.plan_backfill(timetable, from_date=day(1), to_date=day(2), run_backwards=True, depends_on_past=True)


def test_batch_keeps_runs_before_a_failing_step() -> None:
    # Found by the compat suite: without catchup, on a Sunday during the DST change, Airflow's own
    # CronDataIntervalTimetable gives three runs and then fails with "did not advance ... after one retry".
    t._now_override = pendulum.parse("2024-10-27T00:30:00+00:00")  # type: ignore[assignment]
    timetable = t.CronDataIntervalTimetable("15 * * * 1-5", AMS)
    restriction = t.TimeRestriction(pendulum.datetime(2024, 3, 30, tz=AMS), None, catchup=False)
    infos = timetable.next_dagrun_infos(last_automated_data_interval=None, restriction=restriction, n=10)
    assert [pendulum.instance(i.run_after).isoformat() for i in infos] == [
        "2024-10-25T21:15:00+00:00",
        "2024-10-27T22:15:00+00:00",
        "2024-10-27T23:15:00+00:00",
    ]
    with pytest.raises(AirflowTimetableInvalid, match=r"did not advance past 2024-10-27 22:15:00\+00:00"):
        timetable.next_dagrun_info(last_automated_data_interval=infos[-1].data_interval, restriction=restriction)


def test_relativedelta_with_absolute_fields() -> None:
    from dateutil.relativedelta import FR

    # relativedelta(months=1, day=1, hour=6): first of each month at 06:00 (the first step aligns the start).
    monthly = t.DeltaTriggerTimetable(relativedelta(months=1, day=1, hour=6))
    assert _starts(monthly, pendulum.datetime(2024, 1, 15, tz="UTC"), 3) == [
        "2024-01-15T00:00:00+00:00",
        "2024-02-01T06:00:00+00:00",
        "2024-03-01T06:00:00+00:00",
    ]
    fridays = t.DeltaTriggerTimetable(relativedelta(weeks=1, weekday=FR))
    assert _starts(fridays, pendulum.datetime(2024, 6, 12, tz="UTC"), 3) == [
        "2024-06-12T00:00:00+00:00",
        "2024-06-21T00:00:00+00:00",
        "2024-06-28T00:00:00+00:00",
    ]


def test_asset_timetables_round_trip() -> None:
    from riir_airflow.schedules.assets import AssetAlias, AssetAny

    condition = AssetAny(Asset("s3://a"), AssetAll(Asset("b", uri="s3://b", group="g"), AssetAlias("al")))
    for timetable in (
        t.AssetTriggeredTimetable(condition),
        t.AssetOrTimeSchedule(timetable=t.CronTriggerTimetable("@daily", timezone=AMS), assets=condition),
    ):
        decoded = t.decode_timetable(t.encode_timetable(timetable))
        assert type(decoded) is type(timetable)
        assert decoded.serialize() == timetable.serialize()
        assert decoded.summary == timetable.summary
