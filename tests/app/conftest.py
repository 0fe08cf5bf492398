"""Fixtures for DAG app tests: a migrated private database and the environment that points at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import cli, env_for


@pytest.fixture
async def app_env(pg_dsn: str, tmp_path: Path) -> dict[str, str]:
    env = env_for(pg_dsn, tmp_path / "home")
    (tmp_path / "home").mkdir()
    cli(env, "db", "migrate")
    return env


@pytest.fixture
async def db(pg_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(pg_dsn)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def dags(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    return folder
