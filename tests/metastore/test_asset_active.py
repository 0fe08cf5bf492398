"""Active assets in the metastore (migration 0020): declaring assets activates each unless an active asset has its
name or its URI, as Airflow's DAG processor activates the first one it records."""

from __future__ import annotations

import asyncpg
import pytest

from riir_airflow.metastore import app_queries

pytestmark = pytest.mark.postgres


async def test_first_declared_asset_of_a_name_or_uri_is_the_active_one(db: asyncpg.Pool) -> None:
    await app_queries.declare_asset(db, "test-asset", "s3://output/1.txt")
    await app_queries.declare_asset(db, "s3://output/1.txt", "s3://output/1.txt")  # same URI: stays inactive
    await app_queries.declare_asset(db, "test-asset", "s3://other")  # same name: stays inactive
    await app_queries.declare_asset(db, "fresh", "s3://fresh")
    keys = [("test-asset", "s3://output/1.txt"), ("s3://output/1.txt", "s3://output/1.txt"),
            ("test-asset", "s3://other"), ("fresh", "s3://fresh"), ("never-declared", "s3://x")]  # fmt: skip
    assert await app_queries.inactive_assets(db, keys) == keys[1:3] + keys[4:]
    assert await app_queries.inactive_assets(db, []) == []
    # Declaring an active asset again changes nothing; all four asset rows exist.
    await app_queries.declare_asset(db, "test-asset", "s3://output/1.txt")
    assert await db.fetchval("SELECT count(*) FROM asset") == 4
    assert await db.fetchval("SELECT count(*) FROM asset_active") == 2
