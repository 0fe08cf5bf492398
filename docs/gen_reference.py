"""Writes docs/cli.md and docs/configuration.md from the code, so the references cannot drift from it:

- the CLI reference walks `riir_airflow.cli.main.build_parser()` (every command, argument and help text);
- the configuration reference lists every `[section] key` the package reads (found by scanning its source for
  `conf.get*("section", "key")` calls) with Airflow's default and the modules that read it.

    .venv/bin/python docs/gen_reference.py          # rewrite both files
    .venv/bin/python docs/gen_reference.py --check  # exit 1 if either is out of date (tests/test_docs.py)
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "riir_airflow"
GETTERS = {"get", "getint", "getboolean", "getfloat", "gettimedelta", "getjson", "getlist", "getsection"}


def _subparsers(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            return [(name, helps.get(name, ""), child) for name, child in action.choices.items()]
    return []


def _arguments(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        names = ", ".join(f"`{o}`" for o in action.option_strings) or f"`{action.dest}`"
        text = (action.help or "").replace("|", "\\|").replace("\n", " ")
        if action.choices and not isinstance(action.choices, dict):
            text += f" (one of: {', '.join(map(str, action.choices))})"
        default = action.default
        if action.option_strings and default not in (None, False, argparse.SUPPRESS) and not isinstance(default, list):
            text += f" (default: `{default}`)"
        rows.append(f"| {names} | {text} |")
    return rows


def cli_reference() -> str:
    from riir_airflow.cli.main import build_parser

    out = ["# CLI reference", "", "Generated from the code by `docs/gen_reference.py`; do not edit by hand.", "",
           "Every command accepts `-h/--help`. Commands that print records take `-o/--output table|json|yaml|plain`, "
           "with Airflow's columns and JSON keys. Wrong arguments print the usage and exit 2; errors print one line "
           "and exit 1.", ""]  # fmt: skip

    def emit(prefix: str, help_text: str, parser: argparse.ArgumentParser, level: int) -> None:
        children = _subparsers(parser)
        out.append(f"{'#' * level} `riir-airflow {prefix}`")
        out.append("")
        if help_text:
            out.extend([help_text, ""])
        if not children:
            rows = _arguments(parser)
            if rows:
                out.extend(["| argument | meaning |", "|---|---|", *rows, ""])
            return
        for name, text, child in sorted(children, key=lambda c: c[0]):
            emit(f"{prefix} {name}", text, child, min(level + 1, 4))

    for name, text, child in sorted(_subparsers(build_parser()), key=lambda c: c[0]):
        emit(name, text, child, 2)
    return "\n".join(out).rstrip() + "\n"


def _config_reads() -> dict[tuple[str, str], set[str]]:
    from riir_airflow._config_defaults import DEFAULTS

    reads: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in GETTERS):
                continue
            args = node.args[:2]
            if len(args) == 2 and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                section, key = (a.value for a in args)  # type: ignore[attr-defined]
                if key in DEFAULTS.get(section, {}):
                    reads[(section, key)].add(module)
    return reads


def config_reference() -> str:
    from riir_airflow._config_defaults import DEFAULTS

    reads = _config_reads()
    out = ["# Configuration reference", "", "Generated from the code by `docs/gen_reference.py`; do not edit by hand.",
           "", "riir-airflow reads `airflow.cfg` (under `$AIRFLOW_HOME`) and `AIRFLOW__SECTION__KEY` environment "
           "variables (with `_CMD` and `_SECRET` for sensitive options) exactly as Airflow does, and knows every "
           f"option of Airflow 3.3.2 ({sum(len(v) for v in DEFAULTS.values())} of them: `riir-airflow config list` "
           "shows them). The options below are the ones riir-airflow acts on; the others are accepted and ignored.",
           ""]  # fmt: skip
    by_section: dict[str, list[str]] = defaultdict(list)
    for (section, key), modules in sorted(reads.items()):
        default, kind, sensitive = DEFAULTS[section][key]
        shown = "" if default is None else f"`{default}`"
        flag = " (sensitive)" if sensitive else ""
        readers = ", ".join(f"`{m}`" for m in sorted(modules))
        env = f"`AIRFLOW__{section.upper()}__{key.upper()}`"
        by_section[section].append(f"| `{key}`{flag} | {kind} | {shown} | {env} | {readers} |")
    for section, rows in sorted(by_section.items()):
        out += [f"## [{section}]", "", "| option | type | default | environment variable | read by |",
                "|---|---|---|---|---|", *rows, ""]  # fmt: skip
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    args = parser.parse_args()
    stale = []
    for name, text in (("cli.md", cli_reference()), ("configuration.md", config_reference())):
        path = ROOT / "docs" / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print(f"out of date: {', '.join(stale)}; run `.venv/bin/python docs/gen_reference.py`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
