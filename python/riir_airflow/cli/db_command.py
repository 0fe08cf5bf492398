"""`riir-airflow db migrate | check | check-migrations | reset [--yes] | downgrade` and `db embedded start | stop |
status`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from riir_airflow.exceptions import AirflowConfigException


def _settings() -> Any:
    from riir_airflow.metastore.pool import resolve_settings

    settings = resolve_settings()
    print(f"DB: {settings.display_dsn}{' (embedded)' if settings.embedded else ''}")
    return settings


def _slots() -> int:
    from riir_airflow.config import conf

    return conf.getint("core", "default_pool_task_slot_count")


async def _migrate(settings: Any) -> int:
    from riir_airflow.metastore.migrate import migrate
    from riir_airflow.metastore.pool import connect

    conn = await connect(settings)
    try:
        applied = await migrate(conn, default_pool_slots=_slots())
    finally:
        await conn.close()
    for migration in applied:
        print(f"Applied migration {migration.version:04d}_{migration.name}")
    print("Database migrating done!")
    return 0


def _report(status: Any, stream: Any) -> None:
    for migration in status.pending:
        print(f"Pending migration {migration.version:04d}_{migration.name}: run `riir-airflow db migrate`", file=stream)
    for version in status.changed:
        print(f"Migration {version:04d} differs from the one applied to this database", file=stream)
    for version in status.unknown:
        print(f"Migration {version:04d} was applied by a newer riir-airflow", file=stream)


async def _check(settings: Any) -> int:
    """Like `airflow db check`: can we reach the database? The schema state is reported, not judged."""
    from riir_airflow.metastore.migrate import check
    from riir_airflow.metastore.pool import connect

    conn = await connect(settings)
    try:
        await conn.fetchval("SELECT 1")
        print("Connection successful.")
        status = await check(conn)
    finally:
        await conn.close()
    if status.up_to_date:
        print(f"Schema is up to date (version {max(status.applied, default=0):04d}).")
    else:
        _report(status, sys.stderr)
    return 0


async def _check_migrations(settings: Any, timeout: int) -> int:
    """Like `airflow db check-migrations`: wait up to `timeout` seconds for the schema to be up to date."""
    from riir_airflow.metastore.migrate import check
    from riir_airflow.metastore.pool import connect

    conn = await connect(settings)
    try:
        for tick in range(max(timeout, 1)):
            status = await check(conn)
            if status.up_to_date:
                print(f"Schema is up to date (version {max(status.applied, default=0):04d}).")
                return 0
            if tick + 1 < max(timeout, 1):
                await asyncio.sleep(1)
    finally:
        await conn.close()
    print(f"There are still unapplied migrations after {timeout} seconds.", file=sys.stderr)
    _report(status, sys.stderr)
    return 1


async def _reset(settings: Any) -> int:
    import asyncpg

    from riir_airflow.metastore.migrate import NotRiirMetastore, reset
    from riir_airflow.metastore.pool import connect

    conn = await connect(settings)
    try:
        await reset(conn, default_pool_slots=_slots())
    except NotRiirMetastore as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except asyncpg.DependentObjectsStillExistError as err:
        print(f"error: nothing was dropped: objects that are not riir-airflow's depend on its tables ({err})",
              file=sys.stderr)  # fmt: skip
        return 1
    finally:
        await conn.close()
    print("Database reset done.")
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        settings = _settings()
        if args.db_command == "reset" and getattr(args, "skip_init", False):
            raise SystemExit("error: --skip-init is not supported: reset always migrates again")
        if args.db_command == "reset" and not (
            args.yes or input("This will drop existing tables if they exist. Proceed? (y/n)").upper() == "Y"
        ):
            print("Cancelled, nothing was dropped.")
            return 1
        if args.db_command == "check-migrations":
            return asyncio.run(_check_migrations(settings, args.migration_wait_timeout))
        runner = {"migrate": _migrate, "check": _check, "reset": _reset}[args.db_command]
        return asyncio.run(runner(settings))
    except AirflowConfigException as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # the server is unreachable
        print(f"error: cannot connect to the metastore: {err}", file=sys.stderr)
        return 1


async def _grant(settings: Any, args: argparse.Namespace) -> str:
    from riir_airflow.metastore import roles
    from riir_airflow.metastore.pool import connect

    password = None
    if args.password_file:
        with open(args.password_file) as handle:
            password = handle.read().strip() or None
    conn = await connect(settings)
    try:
        if args.db_command == "grant-broker":
            role, password = await roles.grant_broker(conn, password=password)
        else:
            grant = roles.AppGrant(
                dag_ids=tuple(args.dag_ids),
                read_variables=roles.parse_patterns(args.read_variables, ("%",)),
                write_variables=roles.parse_patterns(args.write_variables, ()),
                read_connections=roles.parse_patterns(args.read_connections, ("%",)),
                trigger_dag_ids=roles.parse_patterns(args.trigger_dags, ("%",)),
                read_xcom_dag_ids=roles.parse_patterns(args.read_xcom_dags, ("%",)),
                deployed_by=args.deployed_by or None,
                service_account=args.service_account or None,
                image=args.image or None,
                environment=args.environment or None,
            )
            role, password = await roles.grant_app(conn, grant, password=password)
    finally:
        await conn.close()
    return roles.role_uri(settings.dsn, role, password)


def _run_grant(args: argparse.Namespace) -> int:
    """`db grant-app DAG_ID...` / `db grant-broker`: only the URI goes to stdout (a Job captures it)."""
    import asyncpg

    from riir_airflow.metastore.pool import resolve_settings

    try:
        settings = resolve_settings()
        print(f"DB: {settings.display_dsn}", file=sys.stderr)
        print(asyncio.run(_grant(settings, args)))
    except (AirflowConfigException, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except asyncpg.InsufficientPrivilegeError as err:
        print(f"error: {err} (run it with the schema owner's connection, which must be allowed to create roles)",
              file=sys.stderr)  # fmt: skip
        return 1
    except asyncpg.UndefinedTableError as err:
        print(f"error: {err} (run `riir-airflow db migrate` first)", file=sys.stderr)
        return 1
    return 0


def check_downgrade_arguments(args: argparse.Namespace) -> None:
    """Airflow's checks of the downgrade flags, with its messages (`db downgrade`, `db-manager downgrade`)."""
    if args.to_revision and args.to_version:
        raise SystemExit("Cannot supply both `--to-revision` and `--to-version`.")
    if args.from_version and args.from_revision:
        raise SystemExit("`--from-revision` may not be combined with `--from-version`")
    if (args.from_revision or args.from_version) and not args.show_sql_only:
        raise SystemExit("Args `--from-revision` and `--from-version` may only be used with `--show-sql-only`")
    if not (args.to_version or args.to_revision):
        raise SystemExit("Must provide either --to-revision or --to-version.")


def _downgrade(args: argparse.Namespace) -> int:
    """Checked as Airflow checks it, then refused: riir-airflow's migrations are numbered SQL files applied
    forward only (no down steps to run or print), so going back means restoring the backup taken before
    `db migrate`, with the riir-airflow release that wrote it."""
    check_downgrade_arguments(args)
    target = f"version {args.to_version}" if args.to_version else f"revision {args.to_revision}"
    raise SystemExit(f"Downgrading to {target} is not supported: riir-airflow's schema migrations are forward-only "
                     "(numbered SQL files without down steps). Restore the database backup taken before "
                     "`riir-airflow db migrate` and run the riir-airflow release that wrote it.")  # fmt: skip


def add_downgrade_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-r", "--to-revision", help="The Alembic revision to downgrade to. Note: must provide either "
                        "`--to-revision` or `--to-version`.")  # fmt: skip
    parser.add_argument("-n", "--to-version", help="(Optional) If provided, only run migrations up to this version.")
    parser.add_argument("-s", "--show-sql-only", action="store_true", help="Don't actually run migrations; just "
                        "print out sql scripts for offline migration.")  # fmt: skip
    parser.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
    parser.add_argument("--from-revision", help="(Optional) If generating sql, may supply a *from* Alembic revision")
    parser.add_argument("--from-version", help="(Optional) If generating sql, may supply a *from* version")


def _embedded(args: argparse.Namespace) -> int:
    from riir_airflow.config import conf
    from riir_airflow.metastore.embedded import EmbeddedPostgres

    server = EmbeddedPostgres.for_home(conf.airflow_home)
    try:
        if args.embedded_command == "start":
            print(server.ensure_running())
        elif args.embedded_command == "stop":
            print("stopped" if server.stop() else "not running")
        else:
            status = server.status()
            print(f"{'running' if status.running else 'stopped'} {status.root} {status.dsn}")
            return 0 if status.running else 3
    except AirflowConfigException as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def _confirm(question: str, yes: bool) -> bool:
    return yes or input(f"{question} (y/n)").strip().upper() == "Y"


def _clean(args: argparse.Namespace) -> int:
    """Airflow's `db clean`: archive and delete rows older than --clean-before-timestamp."""
    from riir_airflow.cli.dag_lookup import parse_date
    from riir_airflow.cli.metastore_access import with_db
    from riir_airflow.exceptions import AirflowBadRequest
    from riir_airflow.metastore import cleanup

    before = parse_date(args.clean_before_timestamp, "--clean-before-timestamp")
    try:
        cleanup.resolve_tables(args.tables)
    except AirflowBadRequest as err:
        raise SystemExit(f"error: {err}") from None

    def run(dry_run: bool) -> dict[str, int]:
        return with_db(lambda db: cleanup.clean(
            db, before, tables=args.tables, dag_ids=args.dag_ids or (), exclude_dag_ids=args.exclude_dag_ids or (),
            dry_run=dry_run, skip_archive=args.skip_archive,
        ))  # fmt: skip

    planned = run(True)
    for table, count in planned.items():
        print(f"Table {table}: {count} row(s) older than {before.isoformat()}")
    if args.dry_run or not any(planned.values()):
        return 0
    archived = "deleted (no archive)" if args.skip_archive else "archived and deleted"
    if not _confirm(f"These rows will be {archived}. Proceed?", args.yes):
        print("Cancelled, nothing was deleted.")
        return 1
    done = run(False)
    print(f"Cleaned {sum(done.values())} row(s) from {sum(1 for c in done.values() if c)} table(s)")
    return 0


def _export_archived(args: argparse.Namespace) -> int:
    from riir_airflow.cli.metastore_access import with_db
    from riir_airflow.metastore import cleanup

    written = with_db(lambda db: cleanup.export_archived(db, args.output_path, args.tables))
    for path in written:
        print(f"Exported {path}")
    if args.drop_archives and written and _confirm("Drop the exported archive tables?", args.yes):
        dropped = with_db(lambda db: cleanup.drop_archived(db, args.tables))
        print(f"Dropped {len(dropped)} archive table(s)")
    return 0


def _drop_archived(args: argparse.Namespace) -> int:
    from riir_airflow.cli.metastore_access import with_db
    from riir_airflow.metastore import cleanup

    names = with_db(lambda db: cleanup.archive_tables(db, args.tables))
    if not names:
        print("No archived tables to drop")
        return 0
    if not _confirm(f"Drop {len(names)} archive table(s): {', '.join(names)}?", args.yes):
        print("Cancelled")
        return 1
    dropped = with_db(lambda db: cleanup.drop_archived(db, args.tables))
    print(f"Dropped {len(dropped)} archive table(s)")
    return 0


def _shell(args: argparse.Namespace) -> int:
    """`psql` on the metastore (the embedded PostgreSQL's socket included)."""
    import os
    import shutil

    from riir_airflow.metastore.pool import resolve_settings

    psql = shutil.which("psql")
    if psql is None:
        raise SystemExit("error: psql is not installed (apt-get install postgresql-client)")
    settings = resolve_settings()
    os.execv(psql, [psql, settings.dsn])
    return 0  # not reached: execv replaces this process


def _tables_type(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def register(groups: Any) -> None:
    from riir_airflow.cli.output import add_verbose_argument

    parser = groups.add_parser("db", help="Database operations")
    commands = parser.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    migrate = commands.add_parser("migrate", help="Create or upgrade the metastore schema")
    # Airflow's revision flags: riir-airflow's schema has numbered SQL migrations, always applied up to the latest.
    for flags in (("-n", "--to-version"), ("-r", "--to-revision"), ("--from-revision",), ("--from-version",)):
        migrate.add_argument(*flags, help=argparse.SUPPRESS)
    migrate.add_argument("-s", "--show-sql-only", action="store_true", help=argparse.SUPPRESS)
    migrate.add_argument("-m", "--use-migration-files", action="store_true", help=argparse.SUPPRESS)
    add_verbose_argument(migrate)
    migrate.set_defaults(func=_run)
    check = commands.add_parser("check", help="Check if the database can be reached")
    check.add_argument("--retry", type=int, default=0, help="Retry database check upon failure")
    check.add_argument("--retry-delay", type=int, default=1, help="Wait time between retries in seconds")
    add_verbose_argument(check)
    check.set_defaults(func=_run)
    wait = commands.add_parser("check-migrations", help="Check if migrations have finished (wait for them)")
    wait.add_argument("-t", "--migration-wait-timeout", type=int, default=60, help="timeout to wait for db to migrate")
    add_verbose_argument(wait)
    wait.set_defaults(func=_run)
    reset = commands.add_parser("reset", help="Drop the metastore's tables and migrate again")
    reset.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
    reset.add_argument("-s", "--skip-init", action="store_true", help="Only remove tables; do not perform db init.")
    reset.add_argument("-m", "--use-migration-files", action="store_true", help=argparse.SUPPRESS)
    add_verbose_argument(reset)
    reset.set_defaults(func=_run)
    downgrade = commands.add_parser(
        "downgrade",
        help="Downgrade the schema of the metadata database.",
        description="riir-airflow's migrations are forward-only: the flags are checked as Airflow checks them, "
        "then the downgrade is refused with the reason.",
    )
    add_downgrade_arguments(downgrade)
    add_verbose_argument(downgrade)
    downgrade.set_defaults(func=_downgrade)
    grant = commands.add_parser(
        "grant-app",
        help="Create or update a DAG app's own database role (confined to its DAGs) and print its connection URI",
        description="Run with the schema owner's connection. The app started with the printed URI as "
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN writes only its DAGs' rows. Patterns are SQL LIKE patterns, "
        "repeated or comma-separated; 'none' grants nothing.",
    )
    grant.add_argument("dag_ids", nargs="+", metavar="DAG_ID", help="the DAG id(s) the app serves")
    grant.add_argument("--read-variables", action="append", metavar="PATTERN", help="variables it may read (%%)")
    grant.add_argument("--write-variables", action="append", metavar="PATTERN", help="variables it may set (none)")
    grant.add_argument("--read-connections", action="append", metavar="PATTERN", help="connections it may read (%%)")
    grant.add_argument("--trigger-dags", action="append", metavar="PATTERN", help="DAGs it may trigger (%%)")
    grant.add_argument(
        "--read-xcom-dags", action="append", metavar="PATTERN", help="other DAGs whose XComs its tasks may pull (%%)"
    )
    grant.add_argument("--password-file", help="use the password in this file instead of a new random one")
    for flag, what in (
        ("--deployed-by", "who deployed it"),
        ("--service-account", "its Kubernetes ServiceAccount"),
        ("--image", "its image, repository:tag"),
        ("--environment", "its test-deploy environment"),
    ):
        grant.add_argument(flag, help=f"pin {what}: its DAG versions must record exactly this (default: not pinned)")
    grant.set_defaults(func=_run_grant)
    broker = commands.add_parser("grant-broker", help="Create or update the broker's role and print its URI")
    broker.add_argument("--password-file", help="use the password in this file instead of a new random one")
    broker.set_defaults(func=_run_grant)

    clean = commands.add_parser("clean", help="Purge old records in metastore tables")
    before_help = "The date or timestamp before which data should be purged (UTC unless a zone is given)."
    clean.add_argument("--clean-before-timestamp", required=True, help=before_help)
    clean.add_argument("-t", "--tables", type=_tables_type, help="Table names to perform maintenance on (comma "
                       "separated); default: all cleanable tables")  # fmt: skip
    clean.add_argument("--dry-run", action="store_true", help="Perform a dry run")
    clean.add_argument("--skip-archive", action="store_true", help="Don't preserve purged records in an archive table")
    clean.add_argument("--batch-size", type=int, help="Accepted for compatibility: one transaction cleans all")
    clean.add_argument("--dag-ids", type=_tables_type, help="Only clean these DAGs (comma separated)")
    clean.add_argument("--exclude-dag-ids", type=_tables_type, help="Do not clean these DAGs (comma separated)")
    clean.add_argument("--error-on-cleanup-failure", action="store_true", help="Accepted for compatibility: any "
                       "failure rolls everything back and exits non-zero")  # fmt: skip
    clean.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
    add_verbose_argument(clean)
    clean.set_defaults(func=_clean)

    export = commands.add_parser("export-archived", help="Export archived data from the archive tables")
    export.add_argument("--output-path", required=True, help="The path to the output directory to export the files")
    export.add_argument("--export-format", choices=("csv",), default="csv", help="The file format to export the "
                        "cleaned data")  # fmt: skip
    export.add_argument("-t", "--tables", type=_tables_type, help="Table names to export (comma separated)")
    export.add_argument("--drop-archives", action="store_true", help="Drop the archive tables after exporting.")
    export.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
    export.set_defaults(func=_export_archived)

    drop = commands.add_parser("drop-archived", help="Drop archived tables created through the db clean command")
    drop.add_argument("-t", "--tables", type=_tables_type, help="Table names (comma separated)")
    drop.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
    drop.set_defaults(func=_drop_archived)

    shell = commands.add_parser("shell", help="Runs a shell (psql) to access the database")
    add_verbose_argument(shell)
    shell.set_defaults(func=_shell)
    embedded = commands.add_parser("embedded", help="The embedded PostgreSQL under $AIRFLOW_HOME")
    embedded.add_argument("embedded_command", choices=["start", "stop", "status"])
    embedded.set_defaults(func=_embedded)
