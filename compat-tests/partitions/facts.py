"""Partitioned-asset facts under whichever `airflow` is importable: how each mapper, window, wait policy and
partitioned timetable serializes, how mappers map sample keys, which constructions Airflow refuses (and why), and the
timetables' summaries. Run by real Airflow 3.3.2 (cached) and by riir with RIIR_AIRFLOW_COMPAT=1; the outputs must be
identical (tests/compat/test_partition_compat.py; riir's side runs with --riir). Prints one JSON document."""

from __future__ import annotations

import json
import sys

if sys.argv[1:] == ["--riir"]:  # riir's side: the opt-in `airflow` alias, as DAG files get it
    from riir_airflow import compat

    compat.install()

from airflow.sdk import (
    AllowedKeyMapper,
    Asset,
    ChainMapper,
    CronPartitionTimetable,
    DayWindow,
    FanOutMapper,
    FixedKeyMapper,
    HourWindow,
    IdentityMapper,
    MinimumCount,
    MonthWindow,
    PartitionedAssetTimetable,
    PartitionedAtRuntime,
    ProductMapper,
    QuarterWindow,
    RollupMapper,
    SegmentWindow,
    StartOfDayMapper,
    StartOfHourMapper,
    StartOfMonthMapper,
    StartOfQuarterMapper,
    StartOfWeekMapper,
    StartOfYearMapper,
    WaitForAll,
    WeekWindow,
    Window,
    YearWindow,
)  # fmt: skip

RIIR = "riir_airflow" in sys.modules

MAPPERS = {
    "identity": lambda: IdentityMapper(),
    "identity_max": lambda: IdentityMapper(max_downstream_keys=3),
    "fixed": lambda: FixedKeyMapper("all"),
    "allowed": lambda: AllowedKeyMapper(["eu", "us"]),
    "chain": lambda: ChainMapper(StartOfHourMapper(), IdentityMapper(), max_downstream_keys=2),
    "product": lambda: ProductMapper(AllowedKeyMapper(["eu", "us"]), StartOfDayMapper(), delimiter="/"),
    "hour": lambda: StartOfHourMapper(),
    "day_tz": lambda: StartOfDayMapper(timezone="Europe/Paris", input_format="%Y-%m-%d %H:%M"),
    "week": lambda: StartOfWeekMapper(),
    "month": lambda: StartOfMonthMapper(output_format="%Y/%m"),
    "quarter": lambda: StartOfQuarterMapper(),
    "year": lambda: StartOfYearMapper(),
    "rollup_all": lambda: RollupMapper(upstream_mapper=StartOfDayMapper(), window=WeekWindow()),
    "rollup_min": lambda: RollupMapper(
        upstream_mapper=StartOfMonthMapper(),
        window=QuarterWindow(direction=Window.Direction.BACKWARD),
        wait_policy=MinimumCount(-1),
    ),
    "rollup_segments": lambda: RollupMapper(
        upstream_mapper=FixedKeyMapper("all"), window=SegmentWindow(["b", "a", "a"]), wait_policy=WaitForAll()
    ),
    "fanout_week": lambda: FanOutMapper(upstream_mapper=StartOfWeekMapper(), window=WeekWindow()),
    "fanout_year": lambda: FanOutMapper(upstream_mapper=StartOfYearMapper(), window=YearWindow()),
    "fanout_day": lambda: FanOutMapper(upstream_mapper=StartOfDayMapper(), window=DayWindow(), max_downstream_keys=5),
    "fanout_month": lambda: FanOutMapper(
        upstream_mapper=StartOfMonthMapper(), window=MonthWindow(), downstream_mapper=StartOfDayMapper()
    ),
}
BAD = {
    "fixed_empty": lambda: FixedKeyMapper(""),
    "max_zero": lambda: IdentityMapper(max_downstream_keys=0),
    "min_count_zero": lambda: MinimumCount(0),
    "segments_empty": lambda: SegmentWindow([]),
    "segments_not_str": lambda: SegmentWindow(["a", 1]),
    "rollup_mismatch": lambda: RollupMapper(upstream_mapper=IdentityMapper(), window=WeekWindow()),
    "fanout_no_default": lambda: FanOutMapper(upstream_mapper=StartOfHourMapper(), window=HourWindow()),
    "cron_bad_offset": lambda: CronPartitionTimetable("0 0 * * *", timezone="UTC", run_offset=1.5),
}
KEYS = {
    "identity": ["x"], "fixed": ["x", "y"], "allowed": ["eu", "asia"], "hour": ["2024-03-13T10:42:15"],
    "day_tz": ["2024-03-13 23:42"], "week": ["2024-03-13T10:42:15"], "month": ["2024-03-13T10:42:15"],
    "quarter": ["2024-08-13T10:42:15"], "year": ["2024-03-13T10:42:15"], "product": ["eu/2024-03-13T10:42:15"],
    "chain": ["2024-03-13T10:42:15"],
}  # fmt: skip


def encode(obj):
    if RIIR:
        from riir_airflow.schedules.partition_mappers import encode_partition_mapper

        return encode_partition_mapper(obj)
    from airflow.serialization.encoders import encode_partition_mapper

    return encode_partition_mapper(obj)


def core_mapper(obj):
    """The scheduler-side mapper that maps keys (Airflow: decoded from the encoding; riir: the same object)."""
    if RIIR:
        return obj
    from airflow.serialization.decoders import decode_partition_mapper

    return decode_partition_mapper(encode(obj))


def mapped(mapper, key):
    try:
        result = core_mapper(mapper).to_downstream(key)
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return result if isinstance(result, str) else sorted(result)


def timetable_facts(timetable):
    if RIIR:
        from riir_airflow.schedules.timetables import encode_timetable

        encoded, core = encode_timetable(timetable), timetable
    else:
        from airflow.serialization.encoders import coerce_to_core_timetable, encode_timetable

        encoded, core = encode_timetable(timetable), coerce_to_core_timetable(timetable)
    var = dict(encoded["__var"])
    var.pop("asset_condition", None)  # assets: compared by the structure suite (riir encodes them its own way)
    var["partition_mapper_config"] = [m for _, m in var.get("partition_mapper_config", [])]
    return {
        "type": encoded["__type"], "var": var, "summary": core.summary, "description": core.description,
        "can_be_scheduled": core.can_be_scheduled, "partitioned": getattr(core, "partitioned", False),
    }  # fmt: skip


def main():
    out = {"mappers": {}, "errors": {}, "timetables": {}}
    for name, make in MAPPERS.items():
        mapper = make()
        out["mappers"][name] = {
            "encoded": encode(mapper),
            "is_rollup": type(mapper).is_rollup,
            "keys": {key: mapped(mapper, key) for key in KEYS.get(name, [])},
        }
    for name, make in BAD.items():
        try:
            make()
        except Exception as exc:
            out["errors"][name] = [type(exc).__name__, str(exc)]
        else:
            out["errors"][name] = None
    a, b = Asset("a"), Asset("b")
    timetables = {
        "cron_partition": CronPartitionTimetable("0 6 * * *", timezone="UTC", run_offset=-1, key_format="%Y-%m-%d"),
        "cron_partition_default": CronPartitionTimetable("@daily", timezone="Europe/Paris"),
        "at_runtime": PartitionedAtRuntime(),
        "partitioned_assets": PartitionedAssetTimetable(
            assets=a & b, partition_mapper_config={a: StartOfDayMapper()}, default_partition_mapper=FixedKeyMapper("k")
        ),
        "partitioned_default": PartitionedAssetTimetable(assets=a),
    }
    for name, timetable in timetables.items():
        out["timetables"][name] = timetable_facts(timetable)
    print(json.dumps(out, indent=1, sort_keys=True, default=str))


main()
