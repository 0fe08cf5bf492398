"""XCom values of many types, stored with Airflow's serializer: datetimes (naive, UTC, offset, named zone), dates,
timedeltas, tuples, sets, frozensets, nested containers, unicode, floats, bools, None-in-containers.
Sets hold ints or one string: a set of several strings is stored in hash order, random per process."""

import datetime
import zoneinfo

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def xcom_types():
    @task
    def scalars() -> list:
        return [1, -2, 3.5, 1e20, True, False, None, "text", "ünïcödé ✓", ""]

    @task
    def datetimes() -> dict:
        return {
            "naive": datetime.datetime(2024, 2, 3, 4, 5, 6),
            "utc": datetime.datetime(2024, 2, 3, 4, 5, 6, 789000, tzinfo=datetime.UTC),
            "zoneinfo": datetime.datetime(2024, 7, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
            "pendulum_utc": pendulum.datetime(2024, 2, 3, 4, 5, 6, tz="UTC"),
            "pendulum_named": pendulum.datetime(2024, 2, 3, 4, 5, 6, tz="America/New_York"),
            "date": datetime.date(2024, 2, 29),
            "pendulum_date": pendulum.date(2024, 3, 1),
            "delta": datetime.timedelta(days=1, seconds=30, microseconds=5),
        }

    @task
    def fixed_offset() -> datetime.datetime:
        # Stored with a tz of ["", "", 0, false]; reading it back fails, so nothing pulls it.
        return datetime.datetime(2024, 2, 3, 4, 5, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))

    @task
    def collections() -> dict:
        return {
            "tuple": (1, "two", 3.0),
            "set": {3, 1, 2},
            "frozenset": frozenset({20, 10}),
            "one_string_set": {"only"},
            "nested": {"list": [(1, 2), {"inner": {5}}], "empty": {}, "empty_list": [], "none": None},
            "int_keys": {1: "one", 2: "two"},
        }

    @task
    def top_tuple() -> tuple:
        return ("a", 1)

    @task
    def top_string() -> str:
        return "just a string"

    @task
    def top_int() -> int:
        return 0

    @task
    def returns_none() -> None:
        return None

    @task
    def empty_list() -> list:
        return []

    @task
    def roundtrip(d: dict, c: dict, t: tuple) -> dict:
        # What a downstream task receives after deserialization, described in plain JSON types.
        return {
            "types": {k: type(v).__name__ for k, v in sorted(d.items())},
            "collection_types": {k: type(v).__name__ for k, v in sorted(c.items())},
            "tuple_type": type(t).__name__,
            "utc_iso": d["utc"].isoformat(),
            "naive_iso": d["naive"].isoformat(),
            "zone_iso": d["zoneinfo"].isoformat(),
            "named_iso": d["pendulum_named"].isoformat(),
            "delta_seconds": d["delta"].total_seconds(),
            "set_sorted": sorted(c["set"]),
            "int_keys": sorted(c["int_keys"]),
        }

    scalars()
    fixed_offset()
    top_string()
    top_int()
    returns_none()
    empty_list()
    roundtrip(datetimes(), collections(), top_tuple())


xcom_types()
