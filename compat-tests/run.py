"""Run the compat suites side by side with real Airflow (`make compat`).

    python compat-tests/run.py [SUITE ...] [--refresh]

A suite is a folder compat-tests/<name>/ with a check.py that prints its differences and exits non-zero on a
mismatch. With no arguments every suite runs, in name order. Real Airflow's results are cached by the suites (see
compat_lib.py) in ~/.cache/riir-airflow/compat/; --refresh ignores that cache.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def suites() -> dict[str, Path]:
    return {p.parent.name: p for p in sorted(HERE.glob("*/check.py"))}


def main() -> int:
    available = suites()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", help=f"suites to run (default: all of {', '.join(available)})")
    parser.add_argument("--refresh", action="store_true", help="recompute real Airflow's results, ignoring the cache")
    args = parser.parse_args()

    unknown = [name for name in args.suites if name not in available]
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; available: {', '.join(available)}")
    env = dict(os.environ)
    if args.refresh:
        env["RIIR_COMPAT_REFRESH"] = "1"

    results: dict[str, tuple[int, float]] = {}
    for name in args.suites or list(available):
        print(f"=== compat suite: {name}", flush=True)
        start = time.monotonic()
        code = subprocess.run([sys.executable, str(available[name])], env=env).returncode
        results[name] = (code, time.monotonic() - start)

    print()
    for name, (code, seconds) in results.items():
        print(f"{'PASS' if code == 0 else 'FAIL'}  {name}  ({seconds:.1f}s)")
    failed = [name for name, (code, _) in results.items() if code != 0]
    print(f"compat: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
