"""Run every benchmarks/bench_*.py in turn (`make bench`) and summarise which ones completed.

    python benchmarks/run.py [NAME ...]     # e.g. `dagbag` runs bench_dagbag.py only

Each benchmark prints its own numbers (times and the ratio against real Airflow); a failing benchmark does not stop
the others.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    benches = {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}
    wanted = sys.argv[1:] or list(benches)
    unknown = [name for name in wanted if name not in benches]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(benches)}", file=sys.stderr)
        return 2
    results: dict[str, tuple[int, float]] = {}
    for name in wanted:
        print(f"=== benchmark: {name}", flush=True)
        start = time.monotonic()
        code = subprocess.run([sys.executable, str(benches[name])]).returncode
        results[name] = (code, time.monotonic() - start)
        print(flush=True)
    for name, (code, seconds) in results.items():
        print(f"{'done' if code == 0 else 'FAILED'}  {name}  ({seconds:.0f}s)")
    return 1 if any(code for code, _ in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
