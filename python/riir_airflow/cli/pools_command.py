"""`riir-airflow pools list|get|set|delete|import|export`, as `airflow pools ...` (same columns and messages)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from riir_airflow.cli.metastore_access import with_db
from riir_airflow.cli.output import add_output_argument, add_verbose_argument, print_as
from riir_airflow.exceptions import AirflowBadRequest


def _row(pool: Any) -> dict[str, Any]:
    # Airflow's columns; team_name belongs to multi-team deployments, which riir does not have.
    return {"pool": pool.pool, "slots": pool.slots, "description": pool.description,
            "include_deferred": pool.include_deferred, "team_name": None}  # fmt: skip


async def _all_pools(db: Any) -> list[Any]:
    from riir_airflow.metastore import queries

    return (await queries.list_pool_usage(db, limit=1_000_000)).items


def cmd_list(args: argparse.Namespace) -> int:
    print_as(with_db(_all_pools), args.output, _row)
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    pools = [p for p in with_db(_all_pools) if p.pool == args.pool]
    if not pools:
        raise SystemExit(f"Pool {args.pool} does not exist")
    print_as(pools, args.output, _row)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import queries

    if args.team_name:
        raise SystemExit("--team-name: riir-airflow has no teams (multi-team deployments are not supported)")

    async def work(db: Any) -> None:
        await queries.upsert_pool(
            db, args.pool, args.slots, description=args.description, include_deferred=args.include_deferred
        )

    with_db(work)
    print(f"Pool {args.pool} created")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import queries

    async def work(db: Any) -> bool:
        return await queries.delete_pool(db, args.pool)

    try:
        deleted = with_db(work)
    except AirflowBadRequest as err:
        raise SystemExit(str(err)) from None
    if not deleted:
        raise SystemExit(f"Pool {args.pool} does not exist")
    print(f"Pool {args.pool} deleted")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import queries

    if not os.path.exists(args.file):
        raise SystemExit(f"Missing pools file {args.file}")
    with open(args.file) as f:
        try:
            pools = json.load(f)
        except ValueError as err:
            raise SystemExit(f"Invalid json file: {err}") from None
    if not isinstance(pools, dict):
        raise SystemExit(f"Invalid json file: {args.file} must hold an object of pool name -> settings")
    valid = {k: v for k, v in pools.items() if isinstance(v, dict) and "slots" in v and "description" in v}
    failed = [k for k in pools if k not in valid]

    async def work(db: Any) -> None:
        async with db.acquire() as conn, conn.transaction():  # all pools or none
            for name, spec in valid.items():
                await queries.upsert_pool(conn, name, int(spec["slots"]), description=spec["description"],
                                          include_deferred=bool(spec.get("include_deferred", False)))  # fmt: skip

    if failed:
        raise SystemExit(f"Failed to update pool(s): {', '.join(failed)}")
    with_db(work)
    print(f"Uploaded {len(valid)} pool(s)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    pools = with_db(_all_pools)
    document = {p.pool: {"slots": p.slots, "description": p.description, "include_deferred": p.include_deferred}
                for p in pools}  # fmt: skip
    with open(args.file, "w") as f:
        f.write(json.dumps(document, sort_keys=True, indent=4))
    print(f"Exported {len(pools)} pools to {args.file}")
    return 0


def register(groups: Any) -> None:
    parser = groups.add_parser("pools", help="Manage pools")
    commands = parser.add_subparsers(dest="pools_command", metavar="COMMAND", required=True)

    p = commands.add_parser("list", help="List pools")
    add_output_argument(p)
    add_verbose_argument(p)
    p.set_defaults(func=cmd_list)

    p = commands.add_parser("get", help="Get pool size")
    p.add_argument("pool", help="Pool name")
    add_output_argument(p)
    add_verbose_argument(p)
    p.set_defaults(func=cmd_get)

    p = commands.add_parser("set", help="Configure pool")
    p.add_argument("pool", help="Pool name")
    p.add_argument("slots", type=int, help="Pool slots")
    p.add_argument("description", help="Pool description")
    p.add_argument("--include-deferred", action="store_true", help="Include deferred tasks in calculations for Pool")
    p.add_argument("--team-name", help="Team name (multi-team deployments; not supported by riir-airflow)")
    add_output_argument(p)
    add_verbose_argument(p)
    p.set_defaults(func=cmd_set)

    p = commands.add_parser("delete", help="Delete pool")
    p.add_argument("pool", help="Pool name")
    add_output_argument(p)
    add_verbose_argument(p)
    p.set_defaults(func=cmd_delete)

    p = commands.add_parser("import", help="Import pools")
    example = '{"pool_1": {"slots": 5, "description": "", "include_deferred": true}}'
    p.add_argument("file", help=f"Import pools from JSON file. Example format: {example}")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_import)

    p = commands.add_parser("export", help="Export all pools")
    p.add_argument("file", help="Export all pools to JSON file")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_export)
