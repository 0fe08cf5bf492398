"""Cron fire times: riir's Rust core against Airflow 3.3.2's own code, per fire time, in the same run.

    python benchmarks/bench_cron.py [N] [--airflow-n M] [--repeat R] [--quick] [--riir-only]

For each expression, consecutive fire times in Europe/Amsterdam from 2024-01-01:
- riir: `_core.Cron.next_in_zone` (one call for all N, with Airflow's DST rules), what riir's timetables call;
- Airflow: `CronTriggerTimetable._get_next` (airflow.timetables._cron.CronMixin: a fresh croniter per fire time in
  the DAG's zone, then back to UTC), called M times in a loop by the real Airflow 3.3.2 of the reference venv
  (compat-tests/airflow_env.py) in a subprocess; importing Airflow is not timed;
- croniter's iterator (`get_next` on one croniter object, naive, no zone): croniter's fastest use, which Airflow
  does not make; shown for scale, in the riir venv's croniter.
riir is also timed one call per fire time (M calls of `next_in_zone(..., 1)`, the same workload as Airflow's loop).
Figures are nanoseconds per fire time (a cost per item, never a total extrapolated from fewer items), each of R
repetitions. The first M fire times of riir and Airflow must agree exactly, or the benchmark fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pendulum
from croniter import croniter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "compat-tests"))

import measure  # noqa: E402
from airflow_env import AIRFLOW_VERSION, airflow_env, airflow_python  # noqa: E402

from riir_airflow import _core  # noqa: E402
from riir_airflow.schedules.timetables import to_us  # noqa: E402

# Each stays before year 9999 (Python datetime limit) over 100,000 fire times.
EXPRESSIONS = ["*/5 * * * *", "0 0 * * *", "30 2 * * 1-5", "0 9-17 * * 1#2", "*/10 0-6 L * *", "15 */3 13 * fri"]
ZONE = "Europe/Amsterdam"
START = dt.datetime(2024, 1, 1)

# Run by the reference venv's python: Airflow's own timetable code, timed per repetition (import not timed).
AIRFLOW_SIDE = """
import datetime as dt, json, sys, time
import pendulum
from airflow.timetables.trigger import CronTriggerTimetable

expressions, zone, m, repeat = json.loads(sys.argv[1])
tz = pendulum.timezone(zone)
out = {}
for expr in expressions:
    timetable = CronTriggerTimetable(expr, timezone=zone)
    seconds, times = [], []
    for _ in range(repeat):
        current = pendulum.instance(dt.datetime(2024, 1, 1), tz=tz)
        times = []
        start = time.perf_counter()
        for _ in range(m):
            current = timetable._get_next(current)
            times.append(current)
        seconds.append(time.perf_counter() - start)
    out[expr] = {"seconds": seconds, "us": [round(t.timestamp() * 1_000_000) for t in times]}
print("RESULT " + json.dumps(out))
"""


def airflow_side(m: int, repeat: int) -> dict[str, dict[str, list[float]]]:
    """Seconds per repetition of M `_get_next` calls, and the fire times (epoch µs), per expression."""
    with tempfile.TemporaryDirectory() as home:
        done = subprocess.run(
            [str(airflow_python()), "-c", AIRFLOW_SIDE, json.dumps([EXPRESSIONS, ZONE, m, repeat])],
            env=airflow_env(Path(home)),
            capture_output=True,
            text=True,
            check=False,
        )
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"Airflow's side failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(line[len("RESULT ") :])  # type: ignore[no-any-return]


def timed(fn: object, repeat: int) -> tuple[list[float], object]:
    """Seconds of each of `repeat` calls, and the last call's result."""
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()  # type: ignore[operator]
        seconds.append(time.perf_counter() - start)
    return seconds, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000, help="fire times per riir batch call")
    parser.add_argument("--airflow-n", type=int, default=10_000,
                        help="fire times per repetition of Airflow, of riir one call each, of croniter")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--riir-only", action="store_true", help="skip Airflow's side")
    parser.add_argument("--quick", action="store_true", help="20,000 fire times per batch, 2,000 otherwise")
    args = parser.parse_args()
    if args.quick:
        args.n, args.airflow_n = 20_000, 2_000
    run = measure.Run("cron", {"fire_times": args.n, "airflow_fire_times": args.airflow_n, "zone": ZONE,
                               "repeat": args.repeat})  # fmt: skip
    airflow = None if args.riir_only else airflow_side(args.airflow_n, args.repeat)
    zone = pendulum.timezone(ZONE)
    start_us = to_us(pendulum.instance(START, tz=zone))
    print(f"{args.n:,} fire times per riir batch, {args.airflow_n:,} per repetition otherwise, zone {ZONE}, "
          f"{args.repeat} repetitions; nanoseconds per fire time (median):")  # fmt: skip
    print(f"{'expression':<20} {'riir 1/call':>9} {'riir batch':>9} {f'airflow {AIRFLOW_VERSION}':>15} "
          f"{'croniter iter':>14} {'airflow/1-call':>11}")  # fmt: skip
    for expr in EXPRESSIONS:
        cron = _core.Cron(expr)
        batch_s, ours = timed(lambda cron=cron: cron.next_in_zone(ZONE, start_us, args.n), args.repeat)
        batch_ns = [1e9 * s / args.n for s in batch_s]

        def one_at_a_time(cron: _core.Cron = cron) -> list[int]:
            current, times = start_us, []
            for _ in range(args.airflow_n):
                (current,) = cron.next_in_zone(ZONE, current, 1)
                times.append(current)
            return times

        single_s, singles = timed(one_at_a_time, args.repeat)
        single_ns = [1e9 * s / args.airflow_n for s in single_s]
        if singles != ours[: args.airflow_n]:  # type: ignore[index]
            raise AssertionError(f"{expr}: one call per fire time differs from the batch")

        def iterate(expr: str = expr) -> list[dt.datetime]:
            it = croniter(expr, START)
            return [it.get_next(dt.datetime) for _ in range(args.airflow_n)]

        iter_s, naive = timed(iterate, args.repeat)
        iter_ns = [1e9 * s / args.airflow_n for s in iter_s]
        assert cron.next_naive([to_us(START)])[0] == to_us(naive[0]), expr  # type: ignore[index]
        air_ns = None
        if airflow is not None:
            side = airflow[expr]
            m = min(args.airflow_n, args.n)
            if [int(x) for x in side["us"][:m]] != ours[:m]:  # type: ignore[index]
                raise AssertionError(f"{expr}: riir's fire times differ from Airflow's")
            air_ns = [1e9 * s / args.airflow_n for s in side["seconds"]]
        run.figure(f"{expr}: one call per fire time, riir vs Airflow's CronTriggerTimetable", "ns", single_ns, air_ns)
        run.figure(f"{expr}: riir batch of {args.n:,} vs Airflow's CronTriggerTimetable", "ns", batch_ns, air_ns)
        run.figure(f"{expr}: one call per fire time, riir vs croniter's iterator (naive)", "ns", single_ns, iter_ns)
        med = {
            name: measure.stats(v)["median"] if v else float("nan")
            for name, v in (("single", single_ns), ("batch", batch_ns), ("air", air_ns), ("iter", iter_ns))
        }
        print(f"{expr:<20} {med['single']:9.0f} {med['batch']:9.0f} {med['air']:15.0f} {med['iter']:14.0f} "
              f"{med['air'] / med['single']:10.0f}x", flush=True)  # fmt: skip
    run.notes.append(
        f"Nanoseconds per fire time in {ZONE}. riir: _core.Cron.next_in_zone, one call per fire time "
        f"({args.airflow_n:,} calls, the same workload as Airflow's) or {args.n:,} fire times in one batch call. "
        f"Airflow: its own CronTriggerTimetable._get_next (a new croniter per fire time, as the scheduler does), "
        f"{args.airflow_n:,} calls per repetition in Airflow {AIRFLOW_VERSION}'s venv; the same fire times as riir's. "
        f"The 'croniter's iterator' rows put croniter's fastest use (one object, get_next, no zone; not what Airflow "
        f"does) in the Airflow column."
    )
    print(f"results: {run.save()}")
    run.print_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
