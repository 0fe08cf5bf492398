"""Loaded by `benchmarks/bench_mapped.py --profile` into the DAG app it starts (PYTHONPATH): profiles the app
process with cProfile (CPU time) from start to exit and writes `$RIIR_BENCH_PROFILE.<pid>` (also on SIGUSR1). Only
`riir-airflow app` processes are profiled (not the broker, the CLI, the fork server or task processes, which the pid
check leaves out after a fork). Nothing else in the app changes."""

from __future__ import annotations

import atexit
import cProfile
import os
import signal
import sys
import time

_OUT = os.environ.get("RIIR_BENCH_PROFILE")

if _OUT and len(sys.argv) > 1 and sys.argv[1] == "app":
    _profiler = cProfile.Profile(time.process_time)  # CPU time: waiting (on the fork server, PostgreSQL) is not counted
    _pid = os.getpid()

    def _dump(*_args: object) -> None:
        if os.getpid() == _pid:
            _profiler.disable()
            _profiler.dump_stats(f"{_OUT}.{_pid}")
            _profiler.enable()

    atexit.register(_dump)
    signal.signal(signal.SIGUSR1, _dump)  # a dump now, without stopping the app (the benchmark's time box)
    _profiler.enable()
