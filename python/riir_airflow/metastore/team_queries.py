"""Airflow 3.3's teams (`team` table, migration 0022): created, listed, deleted and synced by name."""

from __future__ import annotations

from collections.abc import Collection

from riir_airflow.metastore.queries import Db


async def team_names(db: Db) -> list[str]:
    return [r["name"] for r in await db.fetch("SELECT name FROM team ORDER BY name")]


async def create_team(db: Db, name: str) -> bool:
    """False when a team of that name exists already."""
    return await db.fetchval("INSERT INTO team (name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true", name) is True


async def delete_team(db: Db, name: str) -> bool:
    return await db.fetchval("DELETE FROM team WHERE name = $1 RETURNING true", name) is True


async def add_missing_teams(db: Db, names: Collection[str]) -> int:
    """Creates the named teams that do not exist yet; how many were created."""
    rows = await db.fetch(
        "INSERT INTO team (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING name", sorted(names)
    )
    return len(rows)
