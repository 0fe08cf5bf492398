"""The figure tables of the docs, copied mechanically from benchmarks/RESULTS.md (as readme_table.py does for the
README), and the 10,000-app projection of docs/scaling.md, computed from those figures.

    python benchmarks/doc_tables.py            # rewrite every block between its markers in docs/
    python benchmarks/doc_tables.py --check    # exit 1 if a block differs from what RESULTS.md gives

A block sits between `<!-- figures:NAME:start ... -->` and `<!-- figures:NAME:end -->` in a doc. Its rows name a
RESULTS.md section and figure label; a figure missing from RESULTS.md is an error, not a blank. The docs' prose
quotes no measured figure of its own (tests/test_docs.py checks that too): it points at these rows.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from readme_table import RESULTS, Row, parse_results, replace_between  # noqa: E402

DOCS = HERE.parent / "docs"
Rows = dict[str, dict[str, Row]]
Machines = dict[str, str]


def start_marker(name: str) -> str:
    return f"<!-- figures:{name}:start (written by benchmarks/doc_tables.py from benchmarks/RESULTS.md) -->"


def end_marker(name: str) -> str:
    return f"<!-- figures:{name}:end -->"


# --- figure tables: rows of RESULTS.md, as they are -----------------------------------------------------------------
@dataclass(frozen=True)
class FigureTable:
    """Rows of RESULTS.md (section, figure label without its unit), with the machine line of each section."""

    figures: list[tuple[str, str]]

    def render(self, rows: Rows, machines: Machines) -> list[str]:
        out = ["| benchmark | figure | riir-airflow | Airflow 3.3.2 | airflow/riir | target |",
               "|---|---|---:|---:|---:|---|"]  # fmt: skip
        for section, label in self.figures:
            row = figure_row(rows, section, label)
            cells = [section, f"{row.label} ({row.unit})", row.riir, row.airflow, row.ratio, row.target]
            out.append("| " + " | ".join(cells) + " |")
        out += ["", "Cells: median (min-max, n=repetitions); `-`: not measured on that side. Each benchmark's run:", ""]
        for section in dict.fromkeys(s for s, _ in self.figures):
            out.append(f"- `{section}`: {machines.get(section, '(no machine line)')}")
        return out


def figure_row(rows: Rows, section: str, label: str) -> Row:
    row = rows.get(section, {}).get(label)
    if row is None:
        raise SystemExit(f"docs figure not in benchmarks/RESULTS.md: {section}: {label}")
    return row


def median(cell: str) -> float:
    """The median of a RESULTS.md cell: `58 (58-58, n=3)` -> 58.0, `13.3` -> 13.3."""
    found = re.match(r"-?[\d,]*\.?\d+", cell)
    if found is None:
        raise SystemExit(f"not a measured value in benchmarks/RESULTS.md: {cell!r}")
    return float(found.group(0).replace(",", ""))


# --- the projection: RESULTS.md figures multiplied out, each row saying how ---------------------------------------
APPS = 10_000


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


@dataclass(frozen=True)
class Projection:
    """Per-app figures of RESULTS.md times APPS. `rows` gives (resource, value, how it is counted)."""

    rows: Callable[[Rows, Machines], list[tuple[str, str, str]]]

    def render(self, rows: Rows, machines: Machines) -> list[str]:
        out = [f"| resource | {APPS:,} apps | how it is counted (RESULTS.md section: figure) |", "|---|---:|---|"]
        out += [f"| {resource} | {value} | {how} |" for resource, value, how in self.rows(rows, machines)]
        return out


def _apps_measured(machines: Machines, section: str) -> int:
    found = re.search(r"\bapps=(\d+)", machines.get(section, ""))
    if found is None:
        raise SystemExit(f"benchmarks/RESULTS.md: no apps=N in the machine line of {section}")
    return int(found.group(1))


def kubernetes_projection(rows: Rows, machines: Machines) -> list[tuple[str, str, str]]:
    many = "many_apps_200"
    measured_apps = _apps_measured(machines, many)

    def per_app(section: str, label: str) -> tuple[float, str]:
        row = figure_row(rows, section, label)
        value = median(row.riir)
        unit = "" if row.unit == "count" else f" {row.unit}"
        return value, f"{section}: {row.label} = {value:g}{unit}"

    pod_rss, pod_src = per_app("app", "idle RSS, the DAG app alone (a pod of its own)")
    idle_cpu, idle_cpu_src = per_app(many, "idle CPU, all apps together")
    idle_statements, idle_statements_src = per_app(many, "metastore statements per idle app per minute")
    connections, connections_src = per_app(many, "metastore connections per app (idle)")
    tick_statements, tick_statements_src = per_app(many, "metastore statements for the tick, per DAG run")
    notify, notify_src = per_app(many, "NOTIFY events during the tick (global channels)")
    pg_cpu, pg_cpu_src = per_app(many, "CPU of PostgreSQL for the tick, per DAG run")
    app_cpu, app_cpu_src = per_app(many, "CPU of all apps for the tick, per DAG run")
    return [
        ("app memory, idle (each app a pod: nothing shared)", f"{_fmt(pod_rss * APPS / 1024)} GB",
         f"{APPS:,} x ({pod_src}); a pod has no zygote or other app to share pages with, so its RSS, not PSS"),
        ("idle CPU, all apps", f"{_fmt(idle_cpu / measured_apps * APPS / 100)} cores",
         f"{APPS:,} / {measured_apps} x ({idle_cpu_src})"),
        ("idle metastore statements", f"{_fmt(idle_statements * APPS / 60)} / s",
         f"{APPS:,} x ({idle_statements_src}) / 60 s"),
        ("session connections to PostgreSQL", _fmt(connections * APPS),
         f"{APPS:,} x ({connections_src}); a session (advisory locks, LISTEN) cannot go through a transaction pooler"),
        ("one synchronized minute (every DAG due at :00, one task each): statements", _fmt(tick_statements * APPS),
         f"{APPS:,} x ({tick_statements_src}; heartbeats, BEGIN and COMMIT included)"),
        ("one synchronized minute: NOTIFY events", _fmt(notify / measured_apps * APPS),
         f"{APPS:,} / {measured_apps} x ({notify_src}); each also on its DAG's channel"),
        ("one synchronized minute: PostgreSQL CPU", f"{_fmt(pg_cpu * APPS / 1000)} s",
         f"{APPS:,} x ({pg_cpu_src}): one server's, {_fmt(pg_cpu * APPS / 1000 / 60)} cores busy for the whole minute"),
        ("one synchronized minute: app CPU", f"{_fmt(app_cpu * APPS / 1000)} s",
         f"{APPS:,} x ({app_cpu_src}): spread over the apps' own pods"),
    ]  # fmt: skip


# --- the blocks -----------------------------------------------------------------------------------------------------
BLOCKS: dict[str, tuple[Path, FigureTable | Projection]] = {
    "scaling-apps": (DOCS / "scaling.md", FigureTable([
        ("many_apps_200", "apps started and registered"),
        ("many_apps_200", "idle PSS per app (paused DAGs)"),
        ("many_apps_200", "idle PSS per app (scheduled, between ticks)"),
        ("many_apps_200", "idle PSS of standalone's supervisor + zygote (in the above)"),
        ("many_apps_200", "processes (all apps, idle)"),
        ("many_apps_200", "idle CPU, all apps together"),
        ("many_apps_200", "metastore connections per app (idle)"),
        ("many_apps_200", "metastore statements per idle app per minute"),
        ("many_apps_20", "idle PSS per app (scheduled, between ticks)"),
        ("many_apps_20", "idle CPU, all apps together"),
        ("app", "idle PSS, every process"),
        ("app", "idle processes"),
        ("app", "idle PSS, the DAG app alone"),
        ("app", "idle RSS, the DAG app alone (a pod of its own)"),
        ("standalone", "idle PSS, every process"),
        ("standalone", "idle PSS of the embedded PostgreSQL (included above)"),
        ("standalone_no_zygote", "idle PSS, every process"),
    ])),
    "scaling-tick": (DOCS / "scaling.md", FigureTable([
        ("many_apps_200", "tick -> first task started, all 200 DAGs"),
        ("many_apps_200", "tick -> first task started, p90"),
        ("many_apps_200", "tick -> first task started, max"),
        ("many_apps_200", "CPU of all apps for the tick, per DAG run"),
        ("many_apps_200", "CPU of PostgreSQL for the tick, per DAG run"),
        ("many_apps_200", "metastore statements for the tick, per DAG run"),
        ("many_apps_200", "NOTIFY events heard by one app during the tick"),
        ("many_apps_20", "tick -> first task started, max"),
    ])),
    "scaling-work": (DOCS / "scaling.md", FigureTable([
        ("mapped", "N=1,000 mapped no-op tasks: throughput"),
        ("mapped_10000", "N=10,000 mapped no-op tasks: throughput, Airflow over a 300 s window"),
        ("planner", "RunPlan.update(1 change) + plan() per loop turn, layered 1000x10 (10,000 TIs)"),
        ("planner", "RunPlan.update(1 change) + plan() per loop turn, mapped x10000 (10,002 TIs)"),
        ("dagbag", "DagBag + serialization: wall time"),
        ("history_10000", "list task instances, all runs: p99"),
        ("history_10000", "list DAGs: requests/s, one client"),
        ("history_10000", "list runs, all DAGs: requests/s, one client"),
        ("history_10000", "list XCom, one run: requests/s, one client"),
        ("history_10000", "db clean of the older half, --skip-archive"),
        ("broker", "list dags (limit 100): requests/s, 16 clients"),
        ("broker", "list task instances of one run: requests/s, 16 clients"),
    ])),
    "scaling-projection": (DOCS / "scaling.md", Projection(kubernetes_projection)),
    "security-isolation": (DOCS / "security.md", FigureTable([
        ("isolation", "app loop blocked per start, no isolation"),
        ("isolation", "app loop blocked per start, on request"),
        ("isolation", "app loop blocked per start, spare"),
        ("isolation", "request -> task code running, no isolation"),
        ("isolation", "request -> task code running, on request"),
        ("isolation", "request -> task code running, spare"),
        ("isolation", "request -> try's end seen by the app, no isolation"),
        ("isolation", "request -> try's end seen by the app, on request"),
        ("isolation", "request -> try's end seen by the app, spare"),
        ("isolation", "channel round trip"),
    ])),
}  # fmt: skip


def render_block(name: str, markdown: str) -> str:
    rows, machines = parse_results(markdown)
    _, table = BLOCKS[name]
    return "\n".join([start_marker(name), "", *table.render(rows, machines), "", end_marker(name)])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    results = RESULTS.read_text()
    wanted: dict[Path, str] = {}
    for name, (path, _) in BLOCKS.items():
        doc = wanted.get(path, path.read_text())
        wanted[path] = replace_between(
            doc, start_marker(name), end_marker(name), render_block(name, results), str(path)
        )
    stale = [path for path, text in wanted.items() if text != path.read_text()]
    if argv == ["--check"]:
        for path in stale:
            print(f"{path.relative_to(HERE.parent)}: its figure tables differ from benchmarks/RESULTS.md: "
                  "run benchmarks/doc_tables.py")  # fmt: skip
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path])
        print(f"wrote the figure tables of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
