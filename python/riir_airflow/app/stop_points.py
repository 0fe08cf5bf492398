"""Test-only stop points: the app stops itself (SIGSTOP) at a named point of its work, so a kill -9 test can kill it
exactly there instead of sleeping and hoping.

    RIIR_AIRFLOW_TEST_STOP_AT=claim      inside the claim transaction (the planner's moves to scheduled, the claim and
                                         the start of tries), after tries were claimed, before COMMIT
    RIIR_AIRFLOW_TEST_STOP_AT=start      after a claimed try was marked running, before its process is forked
    RIIR_AIRFLOW_TEST_STOP_AT=result     inside a result's transaction (state, XComs), before COMMIT
    RIIR_AIRFLOW_TEST_STOP_AT=reschedule inside a sensor's reschedule transaction, before COMMIT

The claim and a try's usual result are one statement each; while their point is armed (`armed()`), the app runs
that statement inside a transaction so that it can stop before COMMIT. `NAME:N` stops at the N-th time the point is
reached (default 1). The app stops once; it prints
`stop point NAME reached` first. A stopped app keeps its connections (and the DAG locks) open, as a hung app does;
the test then sends SIGKILL. Unset (always, outside tests), `reached()` is one comparison.
"""

from __future__ import annotations

import os
import signal
import sys

ENV = "RIIR_AIRFLOW_TEST_STOP_AT"

_name, _, _nth = os.environ.get(ENV, "").partition(":")
_remaining = int(_nth or 1)


def armed(point: str) -> bool:
    """Whether the app stops at `point` (still to be reached): its work there must then be inside a transaction."""
    return point == _name and _remaining > 0


def reached(point: str) -> None:
    """Stops this process (SIGSTOP) when `point` is the configured stop point, reached for the N-th time."""
    global _remaining
    if point != _name or _remaining <= 0:
        return
    _remaining -= 1
    if _remaining:
        return
    print(f"stop point {point} reached", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)
