"""What every benchmark measures, measured one way: process trees, memory, CPU, repetition statistics, machine facts,
and where the results go.

- Memory is PSS (proportional set size, /proc/PID/smaps_rollup): a page shared by k processes counts 1/k in each, so
  summing PSS over every process of a system gives that system's real share of RAM (summing RSS counts shared pages
  again in every process: the copy-on-write task processes of a forking system would look k times bigger).
- CPU is utime + stime in clock ticks (/proc/PID/stat), including children that exited and were reaped (cutime,
  cstime), so short-lived task processes are counted.
- A system is the process trees under its root pids (each component and every descendant).
- Repeated figures are reported as min / median / p90 / max over the repetitions, never one lucky run.
- Every result file carries the machine: cores, memory, load average at start and end, date, kernel, Python.

Results: `benchmarks/.out/<bench>.json` (one file per benchmark, overwritten by its next run); `benchmarks/run.py`
renders all of them into `benchmarks/RESULTS.md`.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / ".out"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- processes ------------------------------------------------------------------------------------------------------
def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (which may contain spaces and parentheses)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children_map() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process on the machine."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def process_tree(roots: Iterable[int]) -> list[int]:
    """The live processes under `roots` (roots included)."""
    children = children_map()
    found: set[int] = set()
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid in found or not os.path.exists(f"/proc/{pid}"):
            continue
        found.add(pid)
        todo.extend(children.get(pid, []))
    return sorted(found)


def cpu_ticks(pid: int, with_reaped_children: bool = True) -> int:
    """utime + stime of one process (plus cutime + cstime of its reaped children), in clock ticks; 0 if gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0
    return sum(int(f) for f in fields[11 : 15 if with_reaped_children else 13])


def tree_cpu_seconds(roots: Iterable[int]) -> float:
    """CPU time used so far by the trees under `roots`, reaped children included."""
    return sum(cpu_ticks(pid) for pid in process_tree(roots)) / CLK_TCK


def smaps_rollup(pid: int) -> dict[str, int]:
    """Every field of one process's smaps_rollup ("Rss", "Pss", "Pss_Anon", "Private_Dirty", ...) in kB; OSError if
    the process is gone."""
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]  # the first names the address range
    return {name: int(value.split()[0]) for name, _, value in (line.partition(":") for line in lines)}


def smaps_rollup_kb(pid: int, *fields: str) -> list[int]:
    """The values in kB of `fields` of one process's smaps_rollup, in that order; zeros if it is gone."""
    try:
        values = smaps_rollup(pid)
    except OSError:
        return [0] * len(fields)
    return [values.get(name, 0) for name in fields]


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB; (0, 0) if it is gone."""
    rss, pss = smaps_rollup_kb(pid, "Rss", "Pss")
    return rss, pss


def pss_parts_kb(pid: int) -> tuple[int, int]:
    """(anonymous, file-backed) PSS of one process in kB; (0, 0) if it is gone. The anonymous part is the system's
    own memory; the file-backed part (libraries, mostly) shrinks whenever other processes on the machine map the same
    files (any Python of the same installation maps its libpython), so only the first compares across runs on a
    shared machine."""
    anonymous, file_backed = smaps_rollup_kb(pid, "Pss_Anon", "Pss_File")
    return anonymous, file_backed


@dataclass
class Footprint:
    """A system's processes sampled over a window: mean PSS and RSS (MB, summed over processes), the largest process
    count seen, and CPU used as % of one core."""

    pss_mb: float
    rss_mb: float
    processes: int
    cpu_pct: float
    seconds: float

    def as_dict(self) -> dict[str, float]:
        return {
            "pss_mb": round(self.pss_mb, 2),
            "rss_mb": round(self.rss_mb, 2),
            "processes": self.processes,
            "cpu_pct": round(self.cpu_pct, 4),
            "seconds": round(self.seconds, 1),
        }


def sample_footprint(roots: Sequence[int], seconds: float, every: float = 1.0) -> Footprint:
    """Samples the trees under `roots` every `every` seconds for `seconds`. CPU counts only processes alive at both
    ends of their own sampling (a process that appears and dies between two samples is missed: idle systems should
    not have those; their reaped ticks land in the parent's cutime, which is counted)."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    pss: list[float] = []
    rss: list[float] = []
    counts: list[int] = []
    started = time.monotonic()
    while True:
        pids = process_tree(roots)
        r_total = p_total = 0
        for pid in pids:
            ticks = cpu_ticks(pid)
            first.setdefault(pid, ticks)
            last[pid] = ticks
            r, p = memory_kb(pid)
            r_total += r
            p_total += p
        pss.append(p_total / 1024)
        rss.append(r_total / 1024)
        counts.append(len(pids))
        elapsed = time.monotonic() - started
        if elapsed >= seconds:
            break
        time.sleep(min(every, max(seconds - elapsed, 0.01)))
    used = sum(last[pid] - first[pid] for pid in last) / CLK_TCK
    return Footprint(statistics.mean(pss), statistics.mean(rss), max(counts), 100 * used / elapsed, elapsed)


# --- statistics -----------------------------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def stats(values: Sequence[float]) -> dict[str, float]:
    """min / median / p90 / max / n of repeated measurements."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "min": min(values),
        "median": statistics.median(values),
        "p90": percentile(values, 0.9),
        "max": max(values),
    }


def fmt_stats(s: dict[str, float], digits: int = 1) -> str:
    """'median (min-max, n=5)' or the single value when there was one repetition."""
    if not s.get("n"):
        return "-"
    if s["n"] == 1:
        return f"{s['median']:.{digits}f}"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f}, n={s['n']:.0f})"


# --- machine --------------------------------------------------------------------------------------------------------
def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def machine() -> dict[str, Any]:
    """Facts that make a figure comparable: cores, memory, kernel, Python, load average, date (UTC)."""
    mem_kb = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg": loadavg(),
    }


class Run:
    """One benchmark's record: the machine at start and end, its parameters and figures; `save()` writes
    benchmarks/.out/<name>.json.

    A figure is {"label", "unit", "riir", "airflow" (optional), "target" (optional), "note" (optional)}, where riir
    and airflow are `stats()` dicts (or a single number, stored as one-value stats)."""

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        self.name = name
        self.params = params
        self.start = machine()
        self.figures: list[dict[str, Any]] = []
        self.notes: list[str] = []

    def figure(
        self,
        label: str,
        unit: str,
        riir: Sequence[float] | float | None,
        airflow: Sequence[float] | float | None = None,
        target: str | None = None,
        lower_is_better: bool = True,
    ) -> None:
        def as_stats(v: Sequence[float] | float | None) -> dict[str, float] | None:
            if v is None:
                return None
            return stats([float(v)] if isinstance(v, int | float) else [float(x) for x in v])

        self.figures.append(
            {
                "label": label,
                "unit": unit,
                "riir": as_stats(riir),
                "airflow": as_stats(airflow),
                "target": target,
                "lower_is_better": lower_is_better,
            }
        )

    def save(self) -> Path:
        OUT.mkdir(exist_ok=True)
        path = OUT / f"{self.name}.json"
        end = machine()
        data = {
            "bench": self.name,
            "params": self.params,
            "machine": self.start,
            "loadavg_end": end["loadavg"],
            "finished": end["date"],
            "figures": self.figures,
            "notes": self.notes,
        }
        path.write_text(json.dumps(data, indent=1, default=str) + "\n")
        return path

    def print_table(self) -> None:
        print(render_text(self.name, self.start, self.figures, self.notes, machine()["loadavg"]))


def ratio(fig: dict[str, Any]) -> str:
    """airflow / riir of the medians (how many times riir is better), when both sides were measured."""
    r, a = fig.get("riir"), fig.get("airflow")
    if not r or not a or not r.get("n") or not a.get("n"):
        return ""
    rm, am = r["median"], a["median"]
    if not fig.get("lower_is_better", True):
        rm, am = am, rm
    if rm <= 0:
        return "riir ~0"
    return f"{am / rm:.1f}x"


def _digits(fig: dict[str, Any]) -> int:
    values = [s["median"] for s in (fig.get("riir"), fig.get("airflow")) if s and s.get("n")]
    biggest = max((abs(v) for v in values), default=0)
    return 0 if biggest >= 100 else 1 if biggest >= 1 else 3


def render_text(
    name: str, start: dict[str, Any], figures: list[dict[str, Any]], notes: list[str], load_end: list[float]
) -> str:
    lines = [
        f"== {name}: {start['date']}, {start['cores']} cores, load {start['loadavg']} -> {load_end}",
        f"{'':52}{'riir':>28}{'airflow':>28}{'airflow/riir':>13}  target",
    ]
    for fig in figures:
        d = _digits(fig)
        r = fmt_stats(fig["riir"], d) if fig.get("riir") else "-"
        a = fmt_stats(fig["airflow"], d) if fig.get("airflow") else "-"
        label = f"{fig['label']} ({fig['unit']})"
        lines.append(f"{label:52}{r:>28}{a:>28}{ratio(fig):>13}  {fig.get('target') or ''}")
    lines.extend(f"note: {n}" for n in notes)
    return "\n".join(lines)


def render_markdown(results: list[dict[str, Any]]) -> str:
    """All results as the markdown the README quotes: one table per benchmark, with its machine line."""
    out = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run.py`) from `benchmarks/.out/*.json`; do not edit by hand.",
        "Cells: median (min-max, n=repetitions). airflow/riir: how many times better riir is (median vs median).",
        "",
    ]
    for res in results:
        m = res["machine"]
        out.append(f"## {res['bench']}")
        out.append("")
        params = ", ".join(f"{k}={v}" for k, v in res["params"].items())
        out.append(
            f"{m['date']} · {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB · load average "
            f"{' '.join(map(str, m['loadavg']))} at start, {' '.join(map(str, res['loadavg_end']))} at end · "
            f"Python {m['python']} · {params}"
        )
        out.append("")
        out.append("| figure | riir-airflow | Airflow 3.3.2 | airflow/riir | target |")
        out.append("|---|---:|---:|---:|---|")
        for fig in res["figures"]:
            d = _digits(fig)
            r = fmt_stats(fig["riir"], d) if fig.get("riir") else "-"
            a = fmt_stats(fig["airflow"], d) if fig.get("airflow") else "-"
            out.append(f"| {fig['label']} ({fig['unit']}) | {r} | {a} | {ratio(fig)} | {fig.get('target') or ''} |")
        for note in res.get("notes", []):
            out.append(f"\n{note}")
        out.append("")
    return "\n".join(out)


def load_results() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(OUT.glob("*.json"))]
