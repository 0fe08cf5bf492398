"""The README's "Measured against Apache Airflow" table, copied mechanically from benchmarks/RESULTS.md.

    python benchmarks/readme_table.py            # rewrite the block between the markers in README.md
    python benchmarks/readme_table.py --check    # exit 1 if README.md's block differs from RESULTS.md

`make bench` (benchmarks/run.py) calls it after writing RESULTS.md, so the README never quotes a figure that a
benchmark did not print: every row below names a benchmark section and a figure label of RESULTS.md, and its cells
are that row's cells. A figure missing from RESULTS.md is an error, not a blank.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
README = HERE.parent / "README.md"
START = "<!-- bench-table:start (written by benchmarks/readme_table.py from benchmarks/RESULTS.md) -->"
END = "<!-- bench-table:end -->"

# (RESULTS.md section, figure label without its unit): the headline figures, in the README's order.
HEADLINES: list[tuple[str, str]] = [
    ("app", "hop median, per run"),
    ("app", "hop p90, per run"),
    ("app", "run wall / N tasks"),
    ("app", "CPU of the system per run"),
    ("app", "idle PSS, every process"),
    ("app", "idle processes"),
    ("app", "idle CPU"),
    ("dags_test", "bench_chain_100: wall time"),
    ("dagbag", "DagBag + serialization: wall time"),
    ("mapped", "N=1,000 mapped no-op tasks: throughput"),
    ("mapped_10000", "N=10,000 mapped no-op tasks: throughput, Airflow over a 300 s window"),
    ("planner", "RunPlan.update(1 change) + plan() per loop turn, fan-out 1 -> 9,999"),
    ("isolation", "isolation cost (spare minus no isolation): request -> end seen"),
    ("ui", "grid, 100 runs x 100 tasks: wall time per page"),
    ("ui", "Dags list, 1000 DAGs, page 1: wall time per page"),
    ("history_10000", "list task instances, all runs: p99"),
    ("broker", "list dags (limit 100): requests/s, 16 clients"),
    ("broker", "list task instances (limit 100, ~/~): requests/s, 16 clients"),
    ("broker", "list task instances (limit 100, ~/~): server CPU per request"),
    ("broker", "list task instances of one run: requests/s, 16 clients"),
    ("many_apps_200", "idle PSS per app (scheduled, between ticks)"),
    ("many_apps_200", "idle CPU, all apps together"),
    ("many_apps_200", "tick -> first task started, max"),
]


@dataclass(frozen=True)
class Row:
    label: str
    unit: str
    riir: str
    airflow: str
    ratio: str
    target: str


def parse_results(markdown: str) -> tuple[dict[str, dict[str, Row]], dict[str, str]]:
    """Each section's rows by label, and each section's machine line (date, machine, load)."""
    rows: dict[str, dict[str, Row]] = {}
    machine: dict[str, str] = {}
    section = ""
    for line in markdown.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            rows[section] = {}
        elif section and section not in machine and re.match(r"\d{4}-\d\d-\d\d ", line):
            machine[section] = line
        elif section and line.startswith("| ") and not line.startswith(("| figure", "|---")):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 5:
                continue
            match = re.fullmatch(r"(.*) \(([^()]*)\)", cells[0])
            label, unit = (match.group(1), match.group(2)) if match else (cells[0], "")
            rows[section][label] = Row(label, unit, *cells[1:])
    return rows, machine


def render(markdown: str, headlines: list[tuple[str, str]] = HEADLINES) -> str:
    rows, machine = parse_results(markdown)
    missing = [f"{s}: {label}" for s, label in headlines if label not in rows.get(s, {})]
    if missing:
        raise SystemExit("README headline figures not in benchmarks/RESULTS.md:\n  " + "\n  ".join(missing))
    out = [START, "", "| benchmark | figure | Airflow 3.3.2 | riir-airflow | airflow/riir | target |",
           "|---|---|---:|---:|---:|---|"]  # fmt: skip
    for section, label in headlines:
        row = rows[section][label]
        cells = [section, f"{row.label} ({row.unit})", row.airflow, row.riir, row.ratio, row.target]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("Cells: median (min-max, n=repetitions); `-`: not measured on that side. Each benchmark's run:")
    out.append("")
    for section in dict.fromkeys(s for s, _ in headlines):
        out.append(f"- `{section}`: {machine.get(section, '(no machine line)')}")
    out.append("")
    out.append(END)
    return "\n".join(out)


def replace_between(text: str, start: str, end: str, block: str, where: str) -> str:
    """`text` with what lies between the markers `start` and `end` (both included) replaced by `block`."""
    if start not in text or end not in text:
        raise SystemExit(f"{where} has no {start!r} ... {end!r} block")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + block + tail


def replace_block(readme: str, block: str) -> str:
    return replace_between(readme, START, END, block, "README.md")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    block = render(RESULTS.read_text())
    current = README.read_text()
    wanted = replace_block(current, block)
    if argv == ["--check"]:
        if wanted != current:
            print("README.md's benchmark table differs from benchmarks/RESULTS.md: run benchmarks/readme_table.py")
            return 1
        return 0
    README.write_text(wanted)
    print(f"wrote the benchmark table of {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
