"""Entry point: builds the argument parser from the command modules and dispatches.

Each command group lives in its own module with a `register(subparsers)` function; add new groups to
`COMMAND_MODULES` with the top-level commands they register. A run imports and registers only the modules of the
command it was given (the whole parser for `--help` or an unknown command), so `riir-airflow version` and
`dags test` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from riir_airflow.exceptions import AirflowException
from riir_airflow.gc_pause import paused_gc

# One module per command group, as in `airflow <group> <command>`, with the top-level commands it registers
# (tests/cli/test_main.py checks them). Several modules may add to one group: they register in this order.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "riir_airflow.cli.version_command": ("version",),
    "riir_airflow.cli.dags_command": ("dags",),
    "riir_airflow.cli.dags_validate_command": ("dags",),
    "riir_airflow.cli.db_command": ("db",),
    "riir_airflow.cli.db_manager_command": ("db-manager",),
    "riir_airflow.cli.config_command": ("config",),
    "riir_airflow.cli.app_command": ("app",),
    "riir_airflow.cli.standalone_command": ("standalone",),
    "riir_airflow.cli.broker_command": ("broker", "api-server"),
    "riir_airflow.cli.rotate_fernet_key_command": ("rotate-fernet-key",),
    "riir_airflow.cli.variables_command": ("variables",),
    "riir_airflow.cli.connections_command": ("connections",),
    "riir_airflow.cli.pools_command": ("pools",),
    "riir_airflow.cli.tasks_command": ("tasks",),
    "riir_airflow.cli.backfill_command": ("backfill",),
    "riir_airflow.cli.assets_command": ("assets",),
    "riir_airflow.cli.partitions_command": ("partitions",),
    "riir_airflow.cli.state_store_command": ("state-store",),
    "riir_airflow.cli.teams_command": ("teams",),
    "riir_airflow.cli.kerberos_command": ("kerberos",),
    "riir_airflow.cli.jobs_command": ("jobs",),
    "riir_airflow.cli.info_command": ("info",),
    "riir_airflow.cli.cheat_sheet_command": ("cheat-sheet",),
    # `kubernetes` only where the cncf-kubernetes provider is installed.
    "riir_airflow.cli.replaced_commands": ("scheduler", "dag-processor", "triggerer", "kubernetes"),
    "riir_airflow.cli.providers_command": ("providers",),
    "riir_airflow.cli.plugins_command": ("plugins",),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or (given a top-level command) of that command alone."""
    parser = argparse.ArgumentParser(prog="riir-airflow", description="Airflow-compatible orchestrator.")
    groups = parser.add_subparsers(dest="command", metavar="GROUP_OR_COMMAND")
    for name, commands in COMMAND_MODULES.items():
        if command is None or command in commands:
            importlib.import_module(name).register(groups)
    return parser


def _parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """Only the named command's modules when the first argument names one; otherwise (`-h`, a typo, a command its
    module did not register here) the whole parser, so that help and errors list every command."""
    command = argv[0] if argv else None
    if command is not None and any(command in commands for commands in COMMAND_MODULES.values()):
        parser = build_parser(command)
        groups = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if command in groups.choices:
            return parser
    return build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    from riir_airflow.compat import install_from_env

    # RIIR_AIRFLOW_COMPAT=1 lets unmodified `from airflow...` DAG files load.
    install_from_env()
    argv = list(sys.argv[1:] if argv is None else argv)
    with paused_gc():  # the command's modules load here
        parser = _parser_for(argv)
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
