"""What a zygote-forked app's first DAG run costs in memory: per process, before and after it, and whose pages.

    python benchmarks/first_run_copies.py [--apps 4] [--settle 8]

Starts `riir-airflow standalone --no-broker` on `--apps` DAG files of bench_many_apps.py (paused, a private
PostgreSQL 15), then reads every app and fork server's private dirty memory and anonymous PSS (smaps_rollup) while
the DAGs are paused, unpauses them, waits for their first run to finish and `--settle` seconds, and reads them again:
bench_many_apps.py's "paused" and "scheduled" figures, per process. For the first app and its fork server it also
compares `/proc/PID/pagemap` before and after the run: each page that became private is either a copy of a page the
zygote still maps (a write to the zygote's shared memory), a copy of a page of the app's own that it shared with its
fork server (one of the two wrote it), or a new page. A diagnostic for issue 19's idle memory per app; the figures
the README quotes come from bench_many_apps.py.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402
from bench_many_apps import count_dags, dag_source, private_postgres, unpause_and_wait  # noqa: E402
from harness import Processes, database, riir_cli, wait_until  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
Pages = dict[int, tuple[int, bool, str]]  # virtual page -> (frame, mapped by this process only, mapping name)


def pages(pid: int) -> Pages:
    """The present pages of the process's private writable mappings (frames need root to read)."""
    found: Pages = {}
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            parts = line.split()
            low, high = (int(x, 16) for x in parts[0].split("-"))
            if "w" not in parts[1] or parts[1][3] != "p":
                continue
            name = parts[5].rsplit("/", 1)[-1] if len(parts) > 5 else "[anon]"
            pagemap.seek(low // PAGE * 8)
            data = pagemap.read((high - low) // PAGE * 8)
            for i in range(len(data) // 8):
                (entry,) = struct.unpack_from("<Q", data, i * 8)
                if entry >> 63 & 1:  # present
                    found[low // PAGE + i] = (entry & ((1 << 55) - 1), bool(entry >> 56 & 1), name)
    return found


def processes(standalone: int) -> dict[int, str]:
    """standalone's tree: pid -> /proc comm (riir-zygote, riir-app, riir-fork-srv)."""
    found = {}
    for pid in measure.process_tree([standalone]):
        try:
            found[pid] = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
    return found


def per_kind(tag: str, tree: dict[int, str]) -> dict[int, dict[str, int]]:
    figures = {}
    for pid in tree:
        try:
            figures[pid] = measure.smaps_rollup(pid)
        except OSError:
            continue
    print(f"{tag}:")
    for kind in ("riir-app", "riir-fork-srv", "riir-zygote"):
        pids = [pid for pid in figures if tree[pid] == kind]
        if pids:
            dirty = sum(figures[p]["Private_Dirty"] for p in pids) / len(pids) / 1024
            anon = sum(figures[p]["Pss_Anon"] for p in pids) / len(pids) / 1024
            pss = sum(figures[p]["Pss"] for p in pids) / len(pids) / 1024
            print(f"  {kind:14} x{len(pids):<3} private dirty {dirty:6.2f}  Pss_Anon {anon:6.2f}  Pss {pss:6.2f} MB")
    return figures


def copies(before: Pages, after: Pages, zygote: Pages) -> collections.Counter[tuple[str, str]]:
    """Pages private after the run that were not before, by origin and mapping (in pages)."""
    counted: collections.Counter[tuple[str, str]] = collections.Counter()
    for page, (_, alone, name) in after.items():
        if not alone or before.get(page, (0, False, ""))[1]:
            continue
        if page not in before:
            origin = "new page"
        elif page in zygote and zygote[page][0] == before[page][0]:
            origin = "copy of a zygote page"
        else:
            origin = "copy of a page shared with its fork server / app"
        counted[origin, name] += 1
    return counted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=4)
    parser.add_argument("--settle", type=float, default=8.0, help="seconds after the first runs before reading")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="first-run-"))
    procs = Processes(workdir)
    try:
        with private_postgres(workdir, 3 * args.apps + 30) as (server, _), database("first_run", server) as dsn:
            env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
            env.update(
                AIRFLOW_HOME=str(workdir), AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn, RIIR_AIRFLOW_COMPAT="1",
                AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
            )  # fmt: skip
            dags = workdir / "dags"
            dags.mkdir()
            for i in range(args.apps):
                (dags / f"many_{i:03d}.py").write_text(dag_source(f"many_{i:03d}"))
            procs.start("standalone", [*riir_cli(), "standalone", "--no-broker", "--dags", str(dags)], env, workdir)
            wait_until(
                lambda: asyncio.run(count_dags(dsn, "many_")) >= args.apps, 600, "the apps to register",
                procs.check_alive, every=0.5,
            )  # fmt: skip
            time.sleep(args.settle)  # the last app's start-up settles
            tree = processes(procs.pids[0])
            paused = per_kind("paused", tree)
            app = min(pid for pid, kind in tree.items() if kind == "riir-app")
            server_pid = min(pid for pid, kind in tree.items() if kind == "riir-fork-srv" and app in _parents(pid))
            zygote = pages(next(pid for pid, kind in tree.items() if kind == "riir-zygote"))
            before = {pid: pages(pid) for pid in (app, server_pid)}
            waited = asyncio.run(unpause_and_wait(dsn, args.apps, 300))
            time.sleep(args.settle)
            after = per_kind(f"after the first run ({waited:.1f} s) and {args.settle:g} s", tree)
            grown = [
                (after[pid]["Private_Dirty"] - paused[pid]["Private_Dirty"]) / 1024
                for pid in paused
                if pid in after and tree[pid] == "riir-app"
            ]
            print(f"  an app's private dirty memory grew {min(grown):.2f}-{max(grown):.2f} MB over its first run")
            for pid in (app, server_pid):
                print(f"{tree[pid]} {pid}, pages private after the run that were not before:")
                for (origin, name), count in copies(before[pid], pages(pid), zygote).most_common(8):
                    print(f"  {count * PAGE / 2**20:6.2f} MB  {origin}  {name}")
            procs.check_alive()
    finally:
        procs.stop(grace=60)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _parents(pid: int) -> list[int]:
    """The pid's ancestors, nearest first."""
    found = []
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        found.append(pid)
    return found


if __name__ == "__main__":
    sys.exit(main())
