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
