"""Entry point: builds the argument parser from the command modules and dispatches."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from riir_airflow import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="riir-airflow", description="Airflow-compatible orchestrator.")
    commands = parser.add_subparsers(dest="command", metavar="GROUP_OR_COMMAND")
    version = commands.add_parser("version", help="Show the version")
    version.set_defaults(func=lambda _args: print(__version__) or 0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
