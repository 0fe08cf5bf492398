"""`riir-airflow db migrate | check | check-migrations | reset [--yes]` and `db embedded start | stop | status`."""

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


def register(groups: Any) -> None:
    parser = groups.add_parser("db", help="Database operations")
    commands = parser.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    commands.add_parser("migrate", help="Create or upgrade the metastore schema").set_defaults(func=_run)
    commands.add_parser("check", help="Check if the database can be reached").set_defaults(func=_run)
    wait = commands.add_parser("check-migrations", help="Check if migrations have finished (wait for them)")
    wait.add_argument("-t", "--migration-wait-timeout", type=int, default=60, help="timeout to wait for db to migrate")
    wait.set_defaults(func=_run)
    reset = commands.add_parser("reset", help="Drop the metastore's tables and migrate again")
    reset.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
    reset.set_defaults(func=_run)
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
    grant.add_argument("--password-file", help="use the password in this file instead of a new random one")
    grant.set_defaults(func=_run_grant)
    broker = commands.add_parser("grant-broker", help="Create or update the broker's role and print its URI")
    broker.add_argument("--password-file", help="use the password in this file instead of a new random one")
    broker.set_defaults(func=_run_grant)
    embedded = commands.add_parser("embedded", help="The embedded PostgreSQL under $AIRFLOW_HOME")
    embedded.add_argument("embedded_command", choices=["start", "stop", "status"])
    embedded.set_defaults(func=_embedded)
