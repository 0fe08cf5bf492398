"""Directories as data: the manifest of 100,000 files (cold and warm), and an incremental run of a 3-stage chain
over 10,000 files against a full re-run, both under a DAG app on PostgreSQL.

Usage: python benchmarks/bench_dir_assets.py [--files N] [--chain-files N] [--repeat R]

- Manifest: `ManifestStore.snapshot` of a directory of N small files, cold (no memo: every file read and hashed) and
  warm (memo: size + mtime unchanged, nothing read); beside it the plain-Python way (os.walk + hashlib).
- Chain: one dag.py with two identical chains (a producer and three asset-scheduled stages, files mapped in batches
  of 1,000). After 7 of the 10,000 input files changed, the incremental chain processes only those 7 at every stage;
  the "full" chain processes every file at every stage, which is what a whole-directory asset (Airflow, Dagster,
  Prefect, Flyte) does. Timed: producer trigger -> the third stage's run succeeded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "python"))

import asyncpg  # noqa: E402
import measure  # noqa: E402
from bench_manifest import make_files, python_manifest, timed  # noqa: E402
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
                            path.write_text(f"changed {attempt}\n")
                            st = path.stat()
                            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + attempt * 1_000_000_000))
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
