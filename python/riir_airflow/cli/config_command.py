"""`riir-airflow config get-value SECTION KEY` and `riir-airflow config list`, as `airflow config ...`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from riir_airflow.exceptions import AirflowConfigException


def get_value(args: argparse.Namespace) -> int:
    from riir_airflow.config import conf

    try:
        value = conf.get(args.section, args.option)
    except AirflowConfigException as err:
        # Airflow prints nothing on stdout and exits 0 for an unknown option; we say why on stderr.
        print(err, file=sys.stderr)
        return 0
    print(value)
    return 0


def list_config(args: argparse.Namespace) -> int:
    from riir_airflow.config import ConfigValue, conf

    if not args.show_values:
        print(
            "Values are hidden by default. Use `--show-values` to display them (may include sensitive data).",
            file=sys.stderr,
        )
    current = None
    for item in conf.iter_values(args.section):
        if args.defaults:  # Airflow's --defaults: every option at its default, commented out
            item = ConfigValue(item.section, item.key, conf.default_value(item.section, item.key), "default")
        if item.section != current:
            if current is not None:
                print()
            print(f"[{item.section}]")
            current = item.section
        shown = item.value if args.show_values and item.value is not None else ""
        line = f"{'# ' if args.defaults else ''}{item.key} = {shown}"
        if args.include_sources:
            line += f"  # source: {item.source}"
        print(line)
    return 0


def register(groups: Any) -> None:
    parser = groups.add_parser("config", help="View configuration")
    commands = parser.add_subparsers(dest="config_command", metavar="COMMAND", required=True)

    get = commands.add_parser("get-value", help="Print the value of the configuration")
    get.add_argument("section", help="The section name")
    get.add_argument("option", help="The option name")
    get.set_defaults(func=get_value)

    show = commands.add_parser("list", help="List options for the configuration")
    show.add_argument("--section", help="The section name")
    show.add_argument("--show-values", action="store_true", help="Show values (may include sensitive data)")
    show.add_argument("--include-sources", action="store_true", help="Show where each value comes from")
    show.add_argument("--defaults", action="store_true", help="Show the default of every option, commented out")
    show.set_defaults(func=list_config)
