"""Directory manifests: scanning a directory of many small files, cold (no memo) and warm (memo), and after a few
files changed, against the plain-Python way of hashing every file (os.walk + hashlib, what a DAG author would write
without riir).

Usage: python benchmarks/bench_manifest.py [--files N] [--repeat R]

Airflow has no file-level manifests: a directory asset changes as a whole, so its downstream re-runs every file.
The "full re-run" figure is how many files each approach hands downstream after 7 files changed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))

from riir_airflow.authoring.dir_asset import DirAsset  # noqa: E402
from riir_airflow.runtime.manifests import ManifestStore  # noqa: E402


def make_files(root: Path, count: int) -> None:
    for i in range(count):
        sub = root / f"d{i % 100:02d}"
        if i < 100:
            sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:06d}.txt").write_bytes(f"record {i}\n".encode() * 8)


def python_manifest(root: Path) -> dict[str, str]:
    """The baseline: walk and hash every file in Python."""
    result = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            result[str(path.relative_to(root))] = hashlib.blake2b(path.read_bytes()).hexdigest()
    return result


def timed(fn: object, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return samples


def fmt(samples: list[float]) -> str:
    low, mid, high = (1000 * v for v in (min(samples), statistics.median(samples), max(samples)))
    return f"min {low:8.1f}  median {mid:8.1f}  max {high:8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="riir-bench-manifest-"))
    try:
        data = work / "data"
        make_files(data, args.files)
        asset = DirAsset(str(data))
        print(f"{args.files:,} files of 80-100 bytes in 100 folders; load average {os.getloadavg()[0]:.1f}, "
              f"{os.cpu_count()} cores; {args.repeat} repetitions each")  # fmt: skip

        def cold() -> None:
            shutil.rmtree(work / "store", ignore_errors=True)
            ManifestStore(work / "store").snapshot(asset)

        cold_s = timed(cold, args.repeat)
        store = ManifestStore(work / "store")
        base = store.snapshot(asset)
        warm_s = timed(lambda: store.snapshot(asset), args.repeat)
        python_s = timed(lambda: python_manifest(data), args.repeat)

        changed = sorted((data / "d07").iterdir())[:7]
        for path in changed:
            path.write_bytes(b"changed\n")
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        start = time.perf_counter()
        after = store.snapshot(asset)
        extra = store.event_extra(after, base.manifest_id)
        incremental = time.perf_counter() - start
        assert extra is not None and len(extra["modified"]) == 7 and after.hashed == 7

        print(f"riir cold scan (no memo)      {fmt(cold_s)}")
        print(f"riir warm scan (memo)         {fmt(warm_s)}")
        print(f"Python os.walk + hashlib      {fmt(python_s)}")
        handed = len(extra["modified"])
        print(f"after 7 files changed: scan + diff {incremental * 1000:.1f} ms, {after.hashed} files read, "
              f"{handed} handed downstream (a whole-directory asset hands down {args.files:,})")  # fmt: skip
        py = statistics.median(python_s)
        print(f"ratio: cold {py / statistics.median(cold_s):.1f}x, warm {py / statistics.median(warm_s):.1f}x "
              f"faster than hashing in Python; downstream work {args.files / 7:,.0f}x smaller")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
