"""`riir-airflow db-manager migrate | downgrade | reset IMPORT_PATH`, as `airflow db-manager ...`.

Airflow runs an external database manager (a `BaseDBManager` subclass named in `[database] external_db_managers`)
with its SQLAlchemy session and Alembic environment. riir-airflow has neither: its one metastore schema is numbered
SQL files. So the manager is looked up exactly as Airflow does (with nothing configured Airflow fails on the missing
option; a path not listed is "not found in configuration"), and a listed one is refused with that reason.
"""

from __future__ import annotations

import argparse
from typing import Any

from riir_airflow.cli.db_command import add_downgrade_arguments, check_downgrade_arguments
from riir_airflow.cli.output import add_verbose_argument


def configured_manager(import_path: str) -> str:
    """The manager's class path when `[database] external_db_managers` lists it (Airflow's `_get_db_manager`)."""
    from riir_airflow.config import conf

    # No fallback, as in Airflow: the option has no default, so an unset one is a configuration error.
    managers = conf.getlist("database", "external_db_managers")
    if import_path not in managers:
        raise SystemExit(f"DB manager {import_path} not found in configuration.")
    return import_path.strip()


def _refuse(import_path: str) -> int:
    raise SystemExit(f"DB manager {import_path} cannot run under riir-airflow: external database managers are "
                     "BaseDBManager subclasses driven by Airflow's SQLAlchemy session and Alembic, which riir-airflow "
                     "does not have. Run that manager's migrations with its own tooling.")  # fmt: skip


def cmd_migrate(args: argparse.Namespace) -> int:
    return _refuse(configured_manager(args.import_path))


def cmd_downgrade(args: argparse.Namespace) -> int:
    path = configured_manager(args.import_path)
    check_downgrade_arguments(args)
    return _refuse(path)


def cmd_reset(args: argparse.Namespace) -> int:
    path = configured_manager(args.import_path)
    if not (args.yes or input("This will drop existing tables if they exist. Proceed? (y/n)").upper() == "Y"):
        raise SystemExit("Cancelled")
    return _refuse(path)


def register(groups: Any) -> None:
    parser = groups.add_parser("db-manager", help="Manage externally connected database managers")
    commands = parser.add_subparsers(dest="db_manager_command", metavar="COMMAND", required=True)

    def manager(p: argparse.ArgumentParser) -> None:
        p.add_argument("import_path", help="The import path of the database manager to use. ")

    p = commands.add_parser("reset", help="Burn down and rebuild the specified external database")
    manager(p)
    p.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
    p.add_argument("-s", "--skip-init", action="store_true", help="Only remove tables; do not perform db init.")
    p.add_argument("-m", "--use-migration-files", action="store_true", help="Use migration files to create the "
                   "database instead of the ORM.")  # fmt: skip
    add_verbose_argument(p)
    p.set_defaults(func=cmd_reset)

    p = commands.add_parser("migrate", help="Migrates the specified external database to the latest version")
    manager(p)
    p.add_argument("-r", "--to-revision", help="(Optional) If provided, only run migrations up to and including this "
                   "Alembic revision.")  # fmt: skip
    p.add_argument("-n", "--to-version", help="(Optional) The airflow version to upgrade to.")
    p.add_argument("-s", "--show-sql-only", action="store_true", help="Don't actually run migrations; just print out "
                   "sql scripts for offline migration.")  # fmt: skip
    p.add_argument("--from-revision", help="(Optional) If generating sql, may supply a *from* Alembic revision")
    p.add_argument("--from-version", help="(Optional) If generating sql, may supply a *from* version")
    p.add_argument("-m", "--use-migration-files", action="store_true", help="Use migration files to create the "
                   "database instead of the ORM.")  # fmt: skip
    add_verbose_argument(p)
    p.set_defaults(func=cmd_migrate)

    p = commands.add_parser("downgrade", help="Downgrade the schema of the external metadata database.")
    manager(p)
    add_downgrade_arguments(p)
    add_verbose_argument(p)
    p.set_defaults(func=cmd_downgrade)
