"""Directories as data: the manifest of 100,000 files (cold and warm), and an incremental run of a 3-stage chain
over 10,000 files against a full re-run, both under a DAG app on PostgreSQL.

Usage: python benchmarks/bench_dir_assets.py [--files N] [--chain-files N] [--repeat R]

- Manifest: `ManifestStore.snapshot` of a directory of N small files, cold (no memo: every file read and hashed) and
  warm (memo: size + mtime unchanged, nothing read); beside it the plain-Python way (os.walk + hashlib, what a DAG
  author would write without riir); and after 7 files changed, the scan + diff against the previous manifest (7 files
  read, 7 handed downstream, where a whole-directory asset hands down all N).
- Chain: one dag.py with two identical chains (a producer and three asset-scheduled stages, files mapped in batches
  of 1,000). After 7 of the 10,000 input files changed, the incremental chain processes only those 7 at every stage;
  the "full" chain processes every file at every stage, which is what a whole-directory asset (Airflow, Dagster,
  Prefect, Flyte) does. Timed: producer trigger -> the third stage's run succeeded.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "python"))

import asyncpg  # noqa: E402
import measure  # noqa: E402
from harness import Processes, database, riir_cli, run_cli, wait_until  # noqa: E402

from riir_airflow.dir_assets import DirAsset, ManifestStore  # noqa: E402

CHAIN = """
import pendulum

from riir_airflow.dir_assets import DirAsset, diff_since_last_consumed, prune
from riir_airflow.sdk import DAG, task

START = pendulum.datetime(2024, 1, 1, tz="UTC")


def chain(prefix: str, root: str, full: bool) -> None:
    assets = [DirAsset(f"{{root}}/{{name}}") for name in ("raw", "s1", "s2", "s3")]
    with DAG(f"{{prefix}}_producer", schedule=None, start_date=START):

        @task(outlets=[assets[0]])
        def publish_raw() -> None:
            pass

        publish_raw()

    for number in (1, 2, 3):
        source, target = assets[number - 1], assets[number]
        with DAG(f"{{prefix}}_stage{{number}}", schedule=[source], start_date=START):

            @task
            def plan(source=source, target=target) -> list[list[str]]:
                diff = diff_since_last_consumed(source)
                prune(target.path, diff.removed)
                if full:  # a whole-directory asset: every file again
                    files = sorted(str(p.relative_to(source.path)) for p in source.path.rglob("*") if p.is_file())
                else:
                    files = diff.changed
                return [files[i : i + 1000] for i in range(0, len(files), 1000)]

            @task
            def process(batch: list[str], source=source, target=target) -> int:
                for rel in batch:
                    out = target.path / rel
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_text((source.path / rel).read_text().upper())
                return len(batch)

            @task(outlets=[target], trigger_rule="none_failed")
            def publish() -> None:
                pass

            process.expand(batch=plan()) >> publish()


chain("inc", {inc!r}, full=False)
chain("full", {full!r}, full=True)
"""


def make_files(root: Path, count: int) -> None:
    """`count` files of 80-100 bytes in 100 folders."""
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


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Seconds of each of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def touch_later(path: Path, content: bytes, seconds: int) -> None:
    """Rewrites a file and moves its mtime `seconds` on (so that a same-second rewrite is still seen as changed)."""
    path.write_bytes(content)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


def bench_manifest(run: measure.Run, work: Path, files: int, repeat: int) -> None:
    data = work / "manifest-data"
    make_files(data, files)
    asset = DirAsset(str(data))

    def cold() -> None:
        shutil.rmtree(work / "store", ignore_errors=True)
        ManifestStore(work / "store").snapshot(asset)

    cold_s = timed(cold, repeat)
    store = ManifestStore(work / "store")
    store.snapshot(asset)
    warm_s = timed(lambda: store.snapshot(asset), repeat)
    python_s = timed(lambda: python_manifest(data), repeat)
    run.figure(f"manifest of {files:,} files, cold (every file hashed)", "ms", [s * 1000 for s in cold_s])
    run.figure(f"manifest of {files:,} files, warm (memo, none read)", "ms", [s * 1000 for s in warm_s])
    run.figure(f"os.walk + hashlib of {files:,} files (plain Python)", "ms", [s * 1000 for s in python_s])
    # 7 files changed before each repetition: the scan + the diff against the manifest before the change.
    incremental: list[float] = []
    for attempt in range(1, repeat + 1):
        before = store.snapshot(asset)
        for path in sorted((data / f"d{attempt:02d}").iterdir())[:7]:
            touch_later(path, f"changed {attempt}\n".encode(), attempt)
        start = time.perf_counter()
        after = store.snapshot(asset)
        extra = store.event_extra(after, before.manifest_id)
        incremental.append(time.perf_counter() - start)
        if extra is None or len(extra["modified"]) != 7 or after.hashed != 7:
            raise RuntimeError(f"7 files changed, but the scan read {after.hashed} and the diff lists {extra}")
    run.figure(f"after 7 of {files:,} changed: scan + diff (7 files read, 7 handed downstream)", "ms",
               [s * 1000 for s in incremental])  # fmt: skip
    shutil.rmtree(data)


async def _stage3_done(dsn: str, dag_id: str, runs: int) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        states = [r["state"] for r in await conn.fetch("SELECT state FROM dag_run WHERE dag_id = $1", dag_id)]
    finally:
        await conn.close()
    if "failed" in states:
        raise RuntimeError(f"a run of {dag_id} failed")
    return states.count("success") >= runs


async def _registered(dsn: str) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM dag WHERE dag_id = 'full_stage3'"))
    finally:
        await conn.close()


async def _processed(dsn: str, dag_id: str) -> int:
    """Files the last run of a stage processed (the sum of its mapped tries' return values)."""
    conn = await asyncpg.connect(dsn)
    try:
        value = await conn.fetchval(
            "SELECT coalesce(sum(x.value::text::int), 0) FROM xcom x WHERE x.dag_id = $1 AND x.task_id = 'process' "
            "AND x.run_id = (SELECT run_id FROM dag_run WHERE dag_id = $1 ORDER BY id DESC LIMIT 1)",
            dag_id,
        )
    finally:
        await conn.close()
    return int(value)


def bench_chain(run: measure.Run, work: Path, files: int, repeat: int) -> None:
    roots = {prefix: work / prefix for prefix in ("inc", "full")}
    for root in roots.values():
        raw = root / "raw"
        for i in range(files):
            folder = raw / f"p{i % 50:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"r{i:05d}.txt").write_text(f"row {i}\n")
        for stage in ("s1", "s2", "s3"):
            (root / stage).mkdir()
    home = work / "home"
    home.mkdir()
    dag_file = home / "dir_chains.py"
    dag_file.write_text(CHAIN.format(inc=str(roots["inc"]), full=str(roots["full"])))
    cli = riir_cli()
    procs = Processes(home)
    timings: dict[str, list[float]] = {"inc": [], "full": []}
    with database("bench_dir_assets") as dsn:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn,
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            RIIR_AIRFLOW_COMPAT="1",
        )
        try:
            run_cli([*cli, "db", "migrate"], env, home, 120)
            procs.start("app", [*cli, "app", str(dag_file)], env, home)
            wait_until(lambda: asyncio.run(_registered(dsn)), 120, "the app to register", procs.check_alive)
            for attempt in range(repeat + 1):  # attempt 0: the first pass over every file (not timed)
                if attempt:
                    for root in roots.values():
                        for i in range(7):
                            path = root / "raw" / f"p{(attempt * 7 + i) % 50:02d}" / f"r{attempt * 7 + i:05d}.txt"
                            touch_later(path, f"changed {attempt}\n".encode(), attempt)
                for prefix in ("inc", "full"):
                    start = time.monotonic()
                    run_cli([*cli, "dags", "trigger", f"{prefix}_producer", "-r", f"r{attempt}"], env, home, 120)
                    wait_until(
                        lambda prefix=prefix, n=attempt + 1: asyncio.run(_stage3_done(dsn, f"{prefix}_stage3", n)),
                        900, f"{prefix}_stage3 run {attempt + 1}", procs.check_alive, every=0.1,
                    )  # fmt: skip
                    seconds = time.monotonic() - start
                    processed = asyncio.run(_processed(dsn, f"{prefix}_stage3"))
                    print(f"  pass {attempt} {prefix:4}: {seconds:6.1f} s, stage 3 processed {processed:,} files")
                    if attempt:
                        timings[prefix].append(seconds)
                        expected = 7 if prefix == "inc" else files
                        if processed != expected:
                            raise RuntimeError(f"{prefix}: stage 3 processed {processed}, expected {expected}")
        finally:
            procs.stop()
    run.figure(f"chain, 7 of {files:,} changed: incremental (7 files x 3 stages)", "s", timings["inc"])
    run.figure(f"chain, 7 of {files:,} changed: full re-run ({files:,} x 3)", "s", timings["full"])
    inc, full = sorted(timings["inc"])[len(timings["inc"]) // 2], sorted(timings["full"])[len(timings["full"]) // 2]
    run.notes.append(f"incremental run {full / inc:.1f}x faster than the full re-run (medians)")
    run.notes.append(
        "chain figures: producer trigger -> third stage succeeded, one app on PostgreSQL, 1,000 files per mapped try; "
        "the full re-run is what a whole-directory asset does after any change"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--chain-files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run = measure.Run("dir_assets", {"manifest_files": args.files, "chain_files": args.chain_files,
                                     "repeat": args.repeat})  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="riir-bench-dir-assets-"))
    try:
        bench_manifest(run, work, args.files, args.repeat)
        bench_chain(run, work, args.chain_files, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    run.print_table()
    print(f"results: {run.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
