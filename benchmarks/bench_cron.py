"""100,000 consecutive cron fire times: riir's Rust core vs croniter (what Airflow uses).

    python benchmarks/bench_cron.py [N]

For each expression it times croniter's iterator (`get_next` on one croniter object, its fastest use), Airflow's
own pattern (a new croniter per fire time in the DAG's zone, as `CronMixin._get_next` does it), and riir's batch
call (`_core.Cron.next_in_zone`, one call for all N with Airflow's DST rules). It checks that all three agree and
prints the times and ratios.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import pendulum
from croniter import croniter

from riir_airflow import _core
from riir_airflow.schedules.timetables import to_us

# Each stays before year 9999 (Python datetime limit) over 100,000 fire times.
EXPRESSIONS = ["*/5 * * * *", "0 0 * * *", "30 2 * * 1-5", "0 9-17 * * 1#2", "*/10 0-6 L * *", "15 */3 13 * fri"]
ZONE = "Europe/Amsterdam"
START = dt.datetime(2024, 1, 1)


def _us(t: dt.datetime) -> int:
    """Epoch microseconds; a naive time is read as UTC."""
    return to_us(t)


def bench(expr: str, n: int) -> tuple[float, float, float]:
    t0 = time.perf_counter()
    it = croniter(expr, START)
    naive = [it.get_next(dt.datetime) for _ in range(n)]
    t_iter = time.perf_counter() - t0

    # Airflow's CronMixin._get_next: naive wall clock in the zone, a fresh croniter, back to an aware instant.
    tz = pendulum.timezone(ZONE)
    airflow_n = max(1, n // 100)
    t0 = time.perf_counter()
    current = pendulum.instance(START, tz=tz)
    airflow_times = []
    for _ in range(airflow_n):
        local = current.in_timezone(tz).replace(tzinfo=None)
        scheduled = croniter(expr, start_time=dt.datetime(*local.timetuple()[:6])).get_next(dt.datetime)
        current = pendulum.instance(tz.convert(scheduled.replace(fold=1))).in_timezone("UTC")
        airflow_times.append(current)
    t_airflow = (time.perf_counter() - t0) * n / airflow_n

    cron = _core.Cron(expr)
    start_us = _us(pendulum.instance(START, tz=tz))
    t0 = time.perf_counter()
    ours = cron.next_in_zone(ZONE, start_us, n)
    t_riir = time.perf_counter() - t0

    # Same fire times: the naive ones from croniter read in the zone, and Airflow's pattern.
    assert [_us(x) for x in airflow_times] == ours[:airflow_n], expr
    naive_ours = cron.next_naive([_us(START)])[0]
    assert naive_ours == _us(naive[0]), expr
    return t_iter, t_airflow, t_riir


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"{n:,} consecutive fire times per expression, zone {ZONE}")
    print(
        f"{'expression':<20} {'croniter iter':>14} {'airflow-style':>14} {'riir batch':>11} "
        f"{'vs iter':>8} {'vs airflow':>10}"
    )
    totals = [0.0, 0.0, 0.0]
    for expr in EXPRESSIONS:
        t_iter, t_airflow, t_riir = bench(expr, n)
        totals = [totals[0] + t_iter, totals[1] + t_airflow, totals[2] + t_riir]
        print(
            f"{expr:<20} {t_iter:>13.3f}s {t_airflow:>13.3f}s {t_riir:>10.4f}s "
            f"{t_iter / t_riir:>7.0f}x {t_airflow / t_riir:>9.0f}x"
        )
    print(
        f"{'total':<20} {totals[0]:>13.3f}s {totals[1]:>13.3f}s {totals[2]:>10.4f}s "
        f"{totals[0] / totals[2]:>7.0f}x {totals[1] / totals[2]:>9.0f}x"
    )
    print("(airflow-style is measured on N/100 fire times and scaled to N)")


if __name__ == "__main__":
    main()
