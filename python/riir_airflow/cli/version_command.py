"""`riir-airflow version`."""

from __future__ import annotations

import argparse
from typing import Any

from riir_airflow import __version__


def run(_args: argparse.Namespace) -> int:
    print(__version__)
    return 0


def register(groups: Any) -> None:
    parser = groups.add_parser("version", help="Show the version")
    parser.set_defaults(func=run)
