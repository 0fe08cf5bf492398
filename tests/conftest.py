"""Shared fixtures. Database tests get a fresh, uniquely named PostgreSQL database that is dropped afterwards."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

# `s3_server`: a local S3 endpoint (moto's server mode) for object-store tests.
pytest_plugins = ["tests.s3_server"]

# The server tests create their databases on; CI and developers use the machine's PostgreSQL.
ADMIN_DSN = os.environ.get("RIIR_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _dsn_for(database: str) -> str:
    base, _, _ = ADMIN_DSN.rpartition("/")
    return f"{base}/{database}"


@contextlib.asynccontextmanager
async def temporary_database() -> AsyncIterator[str]:
    """Creates a uniquely named database and yields its DSN; drops it (closing open connections) on exit."""
    name = f"riir_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _dsn_for(name)
    finally:
        admin = await asyncpg.connect(ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def pg_dsn() -> AsyncIterator[str]:
    """DSN of a new, empty database on the test server; dropped after the test."""
    async with temporary_database() as dsn:
        yield dsn


@pytest.fixture
async def pg_conn(pg_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """An open asyncpg connection to the test's own database."""
    conn = await asyncpg.connect(pg_dsn)
    try:
        yield conn
    finally:
        await conn.close()
