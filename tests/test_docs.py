"""The docs tell the truth: the generated references match the code, every example migrating.md lists runs
through the `airflow` import alias, and every command the prose docs show exists."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from riir_airflow.cli.main import build_parser
from tests.app.harness import env_for

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_generated_references_are_current() -> None:
    result = subprocess.run([sys.executable, str(DOCS / "gen_reference.py"), "--check"], capture_output=True,
                            text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_readme_benchmark_table_is_copied_from_results() -> None:
    """Issue 19: the README quotes no figure a benchmark did not print (benchmarks/RESULTS.md, by `make bench`)."""
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "readme_table.py"), "--check"],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def _listed_examples() -> list[Path]:
    listed = re.findall(r"`(examples/dags/[\w/]+\.py)`", (DOCS / "migrating.md").read_text())
    return [ROOT / p for p in dict.fromkeys(listed)]


def test_migrating_lists_existing_examples() -> None:
    listed = _listed_examples()
    assert len(listed) >= 10 and all(p.exists() for p in listed), [p for p in listed if not p.exists()]


@pytest.mark.parametrize("path", _listed_examples(), ids=lambda p: p.stem)
def test_listed_example_runs_through_the_alias(path: Path, tmp_path: Path) -> None:
    env = env_for("", tmp_path, RIIR_AIRFLOW_COMPAT="1")
    assert "from airflow" in path.read_text()  # written for Airflow, run unchanged
    listed = subprocess.run([sys.executable, "-m", "riir_airflow", "dags", "list", "-S", str(path), "-o", "json"],
                            env=env, capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    for dag in json.loads(listed.stdout):
        result = subprocess.run(
            [sys.executable, "-m", "riir_airflow", "dags", "test", dag["dag_id"], "2024-01-03", "-S", str(path)],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 0 and "finished: success" in result.stdout, result.stdout + result.stderr


def test_commands_in_the_docs_exist() -> None:
    parser = build_parser()
    shown = set()
    for doc in ("getting-started.md", "concepts.md", "migrating.md", "operations.md"):
        text = (DOCS / doc).read_text()
        code = re.findall(r"```.*?```", text, re.S) + re.findall(r"`[^`\n]+`", text)  # commands, not prose
        for line in (line.strip("`").strip() for snippet in code for line in snippet.splitlines()):
            # A command line: optional VAR=value prefixes and a path, then riir-airflow (not program output).
            found = re.match(r"^(?:[A-Z_]+=\S*\s+)*(?:\S*/)?riir-airflow ((?:[a-z][\w-]*)(?: [a-z][\w-]*)?)", line)
            if found:
                shown.add(found.group(1))
    assert len(shown) >= 15, shown
    for command in sorted(shown):
        words = command.split()
        try:
            parser.parse_args([*words, "--help"])
        except SystemExit as exit_:
            assert exit_.code == 0, f"`riir-airflow {command}` in the docs is not a command"


# Issue 19: the docs quote no measured figure that a benchmark did not print. A measured figure is a number with a
# unit of time, memory, rate, share or ratio; the tables that quote RESULTS.md are generated (readme_table.py,
# doc_tables.py) and checked above, so the prose outside them must hold none. Decimal seconds count as measured;
# whole seconds are almost always settings (`60 s`) and are left to review.
_MEASURED = re.compile(
    r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s?(?:ms|µs|us|ns|MB|GB|kB|KB|KiB|MiB|GiB|%|req/s|tasks/s|tries/s)(?![\w/])"
    r"|(?<![\w.])\d[\d,]*(?:\.\d+)?[x\u00d7](?!\w)"
    r"|(?<![\w.])\d+\.\d+\s?s\b"
)
# Figures that are settings, limits or facts of the platform, not measurements: (doc, figure) -> why.
_NOT_MEASURED = {
    ("security.md", "4096 MB"): "the default of [riir] task_memory_limit_mb",
    ("security.md", "64 MiB"): "the limit migration 0003 puts on a serialized DAG",
    ("security.md", "10 MiB"): "the default of [api] max_request_body_bytes",
    ("broker.md", "10 MiB"): "the default of [api] max_request_body_bytes",
    ("scaling.md", "4 KiB"): "the page size copy-on-write copies",
    ("ui.md", "1.5 s"): "how often the UI re-reads a running try or run",
}


def _prose(text: str) -> str:
    """The doc without fenced code and without the blocks generated from benchmarks/RESULTS.md."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"<!-- bench-table:start.*?<!-- bench-table:end -->", "", text, flags=re.S)
    return re.sub(r"<!-- figures:([\w-]+):start.*?<!-- figures:\1:end -->", "", text, flags=re.S)


def test_docs_figure_tables_are_copied_from_results() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "doc_tables.py"), "--check"],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "doc",
    [ROOT / "README.md", *sorted(DOCS.glob("*.md")), *sorted(ROOT.glob("compat-tests/*/README.md"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_docs_quote_no_figure_of_their_own(doc: Path) -> None:
    found = [
        (number, line)
        for line in _prose(doc.read_text()).splitlines()
        for number in (m.group(0) for m in _MEASURED.finditer(line))
        if (doc.name, number) not in _NOT_MEASURED
    ]
    assert not found, "\n".join(f"{doc.name}: {number!r} in: {line.strip()[:160]}" for number, line in found)


def test_the_figure_check_sees_figures() -> None:
    """The pattern above finds what a hand-run measurement looks like (so an empty result means something)."""
    sample = "took 0.68 s, 23.8 MB per app, 1.5 % of a core, 15.1x faster, 424 req/s, 60-380 µs, 12 ms"
    assert [m.group(0) for m in _MEASURED.finditer(sample)] == [
        "0.68 s", "23.8 MB", "1.5 %", "15.1x", "424 req/s", "380 µs", "12 ms"
    ]  # fmt: skip
    assert not _MEASURED.findall("`[broker] app_stale_after` (60 s), a 100 x 100 grid, Airflow 2.x, 0x1f")
