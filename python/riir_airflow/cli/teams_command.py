"""`riir-airflow teams create | delete | list | sync`, as `airflow teams ...` (Airflow 3.3's multi-team mode).

Teams are rows of the `team` table. Airflow refuses to delete a team that DAG bundles, connections, variables or
pools belong to; riir-airflow assigns none of those to teams (`pools set --team-name` is refused), so nothing can
hold a team back. `sync` adds the teams named by `team_name` in `[dag_processor] dag_bundle_config_list`.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from riir_airflow.cli.metastore_access import with_db
from riir_airflow.cli.output import add_output_argument, add_verbose_argument, print_as

TEAM_NAME = re.compile(r"^[a-zA-Z0-9_-]{3,50}$")


def team_name(args: argparse.Namespace) -> str:
    name = str(args.name).strip()
    if not name:
        raise SystemExit("Team name cannot be empty")
    if not TEAM_NAME.match(name):
        raise SystemExit("Invalid team name: must match regex ^[a-zA-Z0-9_-]{3,50}$")
    return name


def cmd_create(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import team_queries

    name = team_name(args)
    if not with_db(lambda db: team_queries.create_team(db, name)):
        raise SystemExit(f"Team with name '{name}' already exists")
    print(f"Team '{name}' created successfully.")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import team_queries

    name = team_name(args)
    if name not in with_db(team_queries.team_names):
        raise SystemExit(f"Team '{name}' does not exist")
    if not args.yes and input(f"Are you sure you want to delete team '{name}'? (y/N): ").upper() != "Y":
        print("Team deletion cancelled")
        return 0
    if not with_db(lambda db: team_queries.delete_team(db, name)):
        raise SystemExit(f"Team '{name}' does not exist")
    print(f"Team '{name}' deleted successfully")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import team_queries

    names = with_db(team_queries.team_names)
    if not names:
        print("No teams found.")
        return 0
    print_as(names, args.output, mapper=lambda name: {"name": name})
    return 0


def bundle_team_names() -> set[str]:
    """The `team_name`s of the configured DAG bundles."""
    from riir_airflow.config import conf

    raw = conf.get("dag_processor", "dag_bundle_config_list", fallback=None) or "[]"
    try:
        bundles = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as err:
        raise SystemExit(f"Failed to sync teams: [dag_processor] dag_bundle_config_list is not JSON: {err}") from None
    return {str(b["team_name"]) for b in bundles if isinstance(b, dict) and b.get("team_name") is not None}


def cmd_sync(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import team_queries

    wanted = bundle_team_names()
    added = with_db(lambda db: team_queries.add_missing_teams(db, wanted)) if wanted else 0
    if added > 0:
        print(f"{added} teams added.")
    return 0


def register(groups: Any) -> None:
    parser = groups.add_parser("teams", help="Manage teams")
    commands = parser.add_subparsers(dest="teams_command", metavar="COMMAND", required=True)

    p = commands.add_parser(
        "create",
        help="Create a team",
        description="Create a team. Team names must be 3-50 characters long and contain only alphanumeric "
        "characters, hyphens, and underscores.",
    )
    p.add_argument("name", help="Team name")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_create)

    p = commands.add_parser("delete", help="Delete a team")
    p.add_argument("name", help="Team name")
    p.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_delete)

    p = commands.add_parser("list", help="List teams")
    add_output_argument(p)
    add_verbose_argument(p)
    p.set_defaults(func=cmd_list)

    p = commands.add_parser("sync", help="Sync teams", description="Sync missing teams from the dag bundle config "
                            "into the database.")  # fmt: skip
    add_verbose_argument(p)
    p.set_defaults(func=cmd_sync)
