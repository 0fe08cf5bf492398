"""Run the benchmarks (`make bench`), then print every recorded figure side by side and write benchmarks/RESULTS.md.

    python benchmarks/run.py [NAME ...]        # e.g. `app many_apps` runs bench_app.py and bench_many_apps.py
    python benchmarks/run.py --render          # only re-render RESULTS.md from benchmarks/.out/*.json

Each benchmark prints its own numbers; those built on benchmarks/measure.py also leave benchmarks/.out/<name>.json
(figures with repetitions, the machine and its load), which this script renders into RESULTS.md — the table the
README quotes. A failing benchmark does not stop the others.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import doc_tables  # noqa: E402
import measure  # noqa: E402
import readme_table  # noqa: E402

RESULTS = HERE / "RESULTS.md"
# The runs `make bench` makes of a benchmark instead of one with its defaults: the sizes issue 19 names.
BENCH_RUNS: dict[str, list[list[str]]] = {
    "many_apps": [["--apps", "200"], ["--apps", "20"]],
    "standalone": [[], ["--no-zygote", "--riir-only"]],
    # N=1,000 both sides to the end, then N=10,000 both sides with Airflow's rate over a 5-minute window.
    "mapped": [
        [],
        ["--tasks", "10000", "--airflow-tasks", "10000", "--repeat", "1", "--airflow-window", "300",
         "--name", "mapped_10000"],
    ],
}  # fmt: skip


def render() -> None:
    results = measure.load_results()
    for res in results:
        print(
            measure.render_text(res["bench"], res["machine"], res["figures"], res.get("notes", []), res["loadavg_end"])
        )
        print()
    fresh = measure.render_markdown(results)
    RESULTS.write_text(_keep_other_sections(fresh, RESULTS.read_text() if RESULTS.exists() else ""))
    print(f"wrote {RESULTS} ({len(results)} benchmarks re-rendered; the sections of the others kept)")
    readme_table.main([])
    doc_tables.main([])


def _sections(markdown: str) -> tuple[str, dict[str, str]]:
    """The header before the first `## bench` and each bench's section, by name, in order."""
    head, *parts = markdown.split("\n## ")
    return head, {part.split("\n", 1)[0]: "## " + part.rstrip("\n") + "\n" for part in parts}


def _keep_other_sections(fresh: str, previous: str) -> str:
    """RESULTS.md with the benchmarks measured here re-rendered and the others (measured on an earlier run, with
    their own date, machine and load line) left as they were: `.out/` is per machine and not committed."""
    head, new = _sections(fresh)
    _, old = _sections(previous) if previous else ("", {})
    merged = {**old, **new}
    return head.rstrip("\n") + "\n\n" + "\n".join(merged[name] for name in merged)


def main() -> int:
    if sys.argv[1:] == ["--render"]:
        render()
        return 0
    benches = {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}
    wanted = sys.argv[1:] or list(benches)
    unknown = [name for name in wanted if name not in benches]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(benches)}", file=sys.stderr)
        return 2
    results: dict[str, tuple[int, float]] = {}
    for name in wanted:
        print(f"=== benchmark: {name} (load average {measure.loadavg()})", flush=True)
        start = time.monotonic()
        codes = [
            subprocess.run([sys.executable, str(benches[name]), *args]).returncode
            for args in BENCH_RUNS.get(name, [[]])
        ]
        results[name] = (max(codes), time.monotonic() - start)
        print(flush=True)
    for name, (code, seconds) in results.items():
        print(f"{'done' if code == 0 else 'FAILED'}  {name}  ({seconds:.0f}s)")
    print()
    render()
    return 1 if any(code for code, _ in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
