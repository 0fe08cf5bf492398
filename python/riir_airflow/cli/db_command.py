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
    embedded = commands.add_parser("embedded", help="The embedded PostgreSQL under $AIRFLOW_HOME")
    embedded.add_argument("embedded_command", choices=["start", "stop", "status"])
    embedded.set_defaults(func=_embedded)
