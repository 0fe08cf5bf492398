"""Entry point: builds the argument parser from the command modules and dispatches.

Each command group lives in its own module with a `register(subparsers)` function; add new groups to
`COMMAND_MODULES`. Modules are imported lazily per run so `riir-airflow version` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from riir_airflow.exceptions import AirflowException

# One module per command group, as in `airflow <group> <command>`.
COMMAND_MODULES = [
    "riir_airflow.cli.version_command",
    "riir_airflow.cli.dags_command",
    "riir_airflow.cli.dags_validate_command",
    "riir_airflow.cli.db_command",
    "riir_airflow.cli.db_manager_command",
    "riir_airflow.cli.config_command",
    "riir_airflow.cli.app_command",
    "riir_airflow.cli.standalone_command",
    "riir_airflow.cli.broker_command",
    "riir_airflow.cli.rotate_fernet_key_command",
    "riir_airflow.cli.variables_command",
    "riir_airflow.cli.connections_command",
    "riir_airflow.cli.pools_command",
    "riir_airflow.cli.tasks_command",
    "riir_airflow.cli.backfill_command",
    "riir_airflow.cli.assets_command",
    "riir_airflow.cli.partitions_command",
    "riir_airflow.cli.state_store_command",
    "riir_airflow.cli.teams_command",
    "riir_airflow.cli.kerberos_command",
    "riir_airflow.cli.jobs_command",
    "riir_airflow.cli.info_command",
    "riir_airflow.cli.cheat_sheet_command",
    "riir_airflow.cli.replaced_commands",
    "riir_airflow.cli.providers_command",
    "riir_airflow.cli.plugins_command",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="riir-airflow", description="Airflow-compatible orchestrator.")
    groups = parser.add_subparsers(dest="command", metavar="GROUP_OR_COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from riir_airflow.compat import install_from_env

    # RIIR_AIRFLOW_COMPAT=1 lets unmodified `from airflow...` DAG files load.
    install_from_env()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # Commands that parse their own arguments (`app`) take options the top-level parser does not know.
        if not hasattr(args, "argv"):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.argv = [*extra, *args.argv]
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    except AirflowException as err:
        # A user-facing error raised below the CLI (a bad DAG, a missing row): one line, unless --verbose.
        if getattr(args, "verbose", False):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
