"""Where the idle PSS of broker + one DAG app goes: per process, grouped by mapping (smaps).

    python benchmarks/pss_breakdown.py [--seconds 20] [--env NAME=VALUE ...] [--keep]
    python benchmarks/pss_breakdown.py --env MALLOC_ARENA_MAX=1       # try a setting on both processes

Starts `riir-airflow broker` and `riir-airflow app FILE` on a fresh database (as bench_app.py does), waits until the
DAG is registered, lets them idle `--seconds`, then prints for every process of both trees: its thread count, PSS and
private dirty memory by mapping ([anon], [heap], [stack], each .so, other files), and how much of the anonymous
memory is in 1 MB regions (CPython 3.11's allocator arenas). A diagnostic
for issue 19's idle-memory targets; bench_app.py and bench_many_apps.py carry the figures the README quotes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "compat-tests"))

import measure  # noqa: E402
from bench_app import DAG_ID, dag_known, dag_source  # noqa: E402
from harness import Processes, database, free_port, riir_cli, run_cli, wait_until  # noqa: E402


def mapping_groups(pid: int) -> dict[str, list[int]]:
    """{group: [pss_kb, private_dirty_kb]} from /proc/PID/smaps."""
    groups: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    name = "?"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if not head:
            continue
        if "-" in head[0] and not head[0].endswith(":"):
            path = head[5] if len(head) > 5 else ""
            name = group_of(path)
        elif head[0] == "Pss:":
            groups[name][0] += int(head[1])
        elif head[0] == "Private_Dirty:":
            groups[name][1] += int(head[1])
    return groups


def anonymous_regions(pid: int) -> list[tuple[int, int]]:
    """(size_kb, private_dirty_kb) of each anonymous mapping: 1024 kB ones are pymalloc arenas (CPython 3.11)."""
    regions: list[tuple[int, int]] = []
    size = 0
    anonymous = False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and not head[0].endswith(":"):
            start, end = (int(x, 16) for x in head[0].split("-"))
            size, anonymous = (end - start) // 1024, len(head) <= 5
        elif head and head[0] == "Private_Dirty:" and anonymous:
            regions.append((size, int(head[1])))
    return regions


def group_of(path: str) -> str:
    if not path:
        return "[anon]"
    if path.startswith("["):
        return path
    base = os.path.basename(path)
    if ".so" in base:
        return base.split(".so")[0] + ".so"
    if base.startswith("python3"):
        return "python3 (binary)"
    return "other files"


def describe(pid: int) -> str:
    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:90]
    threads = len(os.listdir(f"/proc/{pid}/task"))
    groups = mapping_groups(pid)
    total = sum(v[0] for v in groups.values())
    anonymous, _ = measure.pss_parts_kb(pid)
    lines = [f"pid {pid} ({threads} threads) PSS {total / 1024:.1f} MB (anonymous {anonymous / 1024:.1f} MB)  {cmd}"]
    for name, (pss, dirty) in sorted(groups.items(), key=lambda kv: -kv[1][0])[:14]:
        lines.append(f"    {pss / 1024:7.2f} MB pss  {dirty / 1024:7.2f} MB private dirty  {name}")
    arenas = [dirty for size, dirty in anonymous_regions(pid) if size == 1024]
    others = sorted((r for r in anonymous_regions(pid) if r[0] != 1024), key=lambda r: -r[1])[:5]
    lines.append(f"    anon: {len(arenas)} 1 MB arenas with {sum(arenas) / 1024:.2f} MB private dirty; "
                 f"largest other (size kB, dirty kB): {others}")  # fmt: skip
    return "\n".join(lines)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for both processes")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (the processes' logs)")
    args = parser.parse_args()
    home = Path(os.environ.get("TMPDIR", "/tmp")) / f"pss-breakdown-{os.getpid()}"
    home.mkdir(parents=True)
    dag_file = home / f"{DAG_ID}.py"
    dag_file.write_text(dag_source(args.tasks))
    cli = riir_cli()
    port = free_port()
    procs = Processes(home)
    with database("pss_breakdown") as dsn:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(AIRFLOW_HOME=str(home), AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn, RIIR_AIRFLOW_COMPAT="1")
        env.update(dict(item.split("=", 1) for item in args.env))
        try:
            run_cli([*cli, "db", "migrate"], env, home, 120)
            procs.start("broker", [*cli, "broker", "-H", "127.0.0.1", "-p", str(port)], env, home)
            procs.start("app", [*cli, "app", str(dag_file)], env, home)
            wait_until(lambda: healthy(f"http://127.0.0.1:{port}/api/v2/monitor/health"), 60, "the broker",
                       procs.check_alive)  # fmt: skip
            wait_until(lambda: asyncio.run(dag_known(dsn)), 60, "the app", procs.check_alive)
            time.sleep(args.seconds)
            pids = measure.process_tree(procs.pids)
            total = anonymous = file_backed = 0
            for pid in pids:
                print(describe(pid))
                total += measure.memory_kb(pid)[1]
                parts = measure.pss_parts_kb(pid)
                anonymous, file_backed = anonymous + parts[0], file_backed + parts[1]
            print(f"total PSS {total / 1024:.1f} MB over {len(pids)} processes (anonymous {anonymous / 1024:.1f} MB, "
                  f"file-backed {file_backed / 1024:.1f} MB); load {measure.loadavg()}")  # fmt: skip
            print(
                "(compare the anonymous part across runs: the file-backed part falls when other processes of the "
                "machine map the same libraries)"
            )
        finally:
            procs.stop()
            if args.keep:
                print(f"work directory kept: {home}")
            else:
                shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
