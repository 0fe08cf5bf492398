"""Loaded by `benchmarks/bench_mapped.py --profile` into the DAG app it starts (PYTHONPATH): profiles the app
process with cProfile (CPU time) from start to exit and writes `$RIIR_BENCH_PROFILE.<pid>`. Only `riir-airflow app`
processes are profiled (not the broker, the CLI, the fork server or task processes, which the pid check leaves out
after a fork). Nothing else in the app changes."""

from __future__ import annotations

import atexit
import cProfile
import os
import sys
import time

_OUT = os.environ.get("RIIR_BENCH_PROFILE")

if _OUT and len(sys.argv) > 1 and sys.argv[1] == "app":
    _profiler = cProfile.Profile(time.process_time)  # CPU time: waiting (on the fork server, PostgreSQL) is not counted
    _pid = os.getpid()

    def _dump() -> None:
        if os.getpid() == _pid:
            _profiler.disable()
            _profiler.dump_stats(f"{_OUT}.{_pid}")

    atexit.register(_dump)
    _profiler.enable()
