"""`riir-airflow config get-value SECTION KEY`, `config list` (and `config lint | update`, config_migration.py), as
`airflow config ...`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from riir_airflow.cli.output import add_verbose_argument
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

    if args.include_descriptions or args.include_examples:
        print("Descriptions and examples of options are not bundled with riir-airflow: see Airflow's configuration "
              "reference or docs/configuration.md", file=sys.stderr)  # fmt: skip
    if not args.show_values:
        print(
            "Values are hidden by default. Use `--show-values` to display them (may include sensitive data).",
            file=sys.stderr,
        )
    current = None
    for item in conf.iter_values(args.section, include_providers=not args.exclude_providers):
        if args.defaults:  # Airflow's --defaults: every option at its default, commented out
            item = ConfigValue(item.section, item.key, conf.default_value(item.section, item.key), "default")
        if item.section != current:
            if current is not None:
                print()
            print(f"[{item.section}]")
            current = item.section
        shown = item.value if args.show_values and item.value is not None else ""
        if shown and args.hide_sensitive and conf.is_sensitive(item.section, item.key):
            shown = "< hidden >"
        commented = args.defaults or args.comment_out_everything
        if args.include_env_vars:
            print(f"# Variable: AIRFLOW__{item.section.upper()}__{item.key.upper()}")
        line = f"{'# ' if commented else ''}{item.key} = {shown}"
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
    add_verbose_argument(get)
    get.set_defaults(func=get_value)

    show = commands.add_parser("list", help="List options for the configuration")
    show.add_argument("--section", help="The section name")
    show.add_argument("--show-values", action="store_true", help="Show values (may include sensitive data)")
    show.add_argument("-s", "--include-sources", action="store_true", help="Show where each value comes from")
    show.add_argument("-a", "--defaults", action="store_true", help="Show the default of every option, commented out")
    show.add_argument("--hide-sensitive", action="store_true", help="Hide the values of sensitive options")
    show.add_argument("-c", "--comment-out-everything", action="store_true", help="Comment out all configuration "
                      "options. Useful as starting point for new installation")  # fmt: skip
    show.add_argument("-V", "--include-env-vars", action="store_true", help="Show the environment variable of each "
                      "option")  # fmt: skip
    show.add_argument("-d", "--include-descriptions", action="store_true", help="Not bundled (see the reference)")
    show.add_argument("-e", "--include-examples", action="store_true", help="Not bundled (see the reference)")
    show.add_argument("-p", "--exclude-providers", action="store_true", help="Exclude provider configuration (they "
                      "are included by default)")  # fmt: skip
    show.add_argument("--color", choices=("on", "off", "auto"), default="auto", help="Output is never colored")
    add_verbose_argument(show)
    show.set_defaults(func=list_config)

    from riir_airflow.cli.config_migration import register_commands

    register_commands(commands)
