"""`riir-airflow dags validate FILE... [--values values.yaml]` (see riir_airflow.deploy.validate).

Registered into the `dags` group that dags_command builds (this module comes after it in COMMAND_MODULES).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def cmd_validate(args: argparse.Namespace) -> int:
    from riir_airflow.deploy.validate import ValuesError, check_files, load_values

    try:
        values = load_values(args.values) if args.values else None
    except ValuesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    loaded, problems = check_files(args.files, values)
    for problem in problems:
        print(problem.line(), file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {len(args.files)} file(s)", file=sys.stderr)
        return 1
    against = f" against {args.values}" if args.values else ""
    print(f"{len(args.files)} file(s), {loaded} DAG(s) valid{against}")
    return 0


def register(groups: Any) -> None:
    dags = groups.choices["dags"]
    commands = next(a for a in dags._actions if isinstance(a, argparse._SubParsersAction))
    p = commands.add_parser(
        "validate", help="Check DAG files before deploying: loading, cycles, schedules and declared references"
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="DAG files to check")
    p.add_argument("--values", help="The Helm chart's values.yaml: every pool, connection, image and secret a task "
                   "uses must be declared there")  # fmt: skip
    p.set_defaults(func=cmd_validate)
