"""`riir-airflow plugins`: the plugins this machine's DAG processes would load, as `airflow plugins` prints them.

The same keys as Airflow's (`-o json`): name, source, macros, timetables, listeners, priority_weight_strategies,
operator links and the web parts. In the table, columns empty for every plugin are left out (as Airflow does). A
plugin file or entry point that fails to import is named on stderr with its error, and the exit code is 1; the
other plugins are still listed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from riir_airflow.cli.output import print_rows


def run(args: argparse.Namespace) -> int:
    from riir_airflow.plugins import manager

    info = manager.get_plugin_info()
    errors = manager.import_errors()
    if not info:
        print("No plugins loaded")
    elif args.output == "json":
        print(json.dumps(info, default=str))
    else:
        columns = ["name", *manager.INFO_ATTRIBUTES]
        if args.output == "table":
            columns = [c for c in columns if any(plugin.get(c) for plugin in info)]
        print_rows(info, args.output, columns)
    for source, error in sorted(errors.items()):
        print(f"Failed to load plugin {source}: {error}", file=sys.stderr)
    return 1 if errors else 0


def register(groups: Any) -> None:
    parser = groups.add_parser("plugins", help="Dump information about loaded plugins")
    parser.add_argument("-o", "--output", choices=["table", "json", "plain"], default="table")
    parser.add_argument("-v", "--verbose", action="store_true", help="Make logging output more verbose")
    parser.set_defaults(func=run)
