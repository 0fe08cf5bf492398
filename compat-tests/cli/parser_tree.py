"""The command tree of an argparse CLI: {"dags list": {"flags": [...], "positionals": [...]}, ...}.

Run by real Airflow's interpreter it walks `airflow.cli.cli_parser.get_parser()`; imported by the riir side it walks
`riir_airflow.cli.main.build_parser()`. Only names are compared, never help texts.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def walk(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, dict[str, Any]]:
    tree: dict[str, dict[str, Any]] = {}
    flags: list[str] = []
    positionals: list[str] = []
    children: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            children.update(action.choices)
        elif action.option_strings:
            flags.extend(s for s in action.option_strings if s not in ("-h", "--help"))
        else:
            positionals.append(action.dest)
    if prefix and not children:
        tree[prefix] = {"flags": sorted(flags), "positionals": positionals}
    for name, child in children.items():
        tree.update(walk(child, f"{prefix} {name}".strip()))
    return tree


if __name__ == "__main__":
    from airflow.cli.cli_parser import get_parser

    json.dump(walk(get_parser()), sys.stdout, sort_keys=True, indent=1)
