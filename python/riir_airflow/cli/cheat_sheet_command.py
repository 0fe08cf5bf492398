"""`riir-airflow cheat-sheet`, as `airflow cheat-sheet`: every command with its one-line help, by group, read from
the same parser the CLI runs (so it cannot drift)."""

from __future__ import annotations

import argparse
from typing import Any

from riir_airflow.cli.output import add_verbose_argument


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    found: dict[str, tuple[str, argparse.ArgumentParser]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, child in action.choices.items():
                found[name] = (helps.get(name, ""), child)
    return found


def cheat_sheet(parser: argparse.ArgumentParser) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(section title, [(command line, help)])]: standalone commands first, then one section per group."""
    top = _subcommands(parser)
    misc = [(f"riir-airflow {name}", text) for name, (text, child) in sorted(top.items()) if not _subcommands(child)]
    out = [("Miscellaneous commands", misc)]
    for name, (text, child) in sorted(top.items()):
        children = _subcommands(child)
        if children:
            out.append((text, [(f"riir-airflow {name} {sub}", t) for sub, (t, _) in sorted(children.items())]))
    return out


def cmd_cheat_sheet(args: argparse.Namespace) -> int:
    from riir_airflow.cli.main import build_parser

    sections = cheat_sheet(build_parser())
    width = max(len(line) for _, rows in sections for line, _ in rows)
    for title, rows in sections:
        print(title)
        for line, text in rows:
            print(f"{line:<{width}} | {text}")
        print()
    return 0


def register(groups: Any) -> None:
    p = groups.add_parser("cheat-sheet", help="Display cheat sheet")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_cheat_sheet)
