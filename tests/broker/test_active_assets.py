"""`GET /assets` lists only active assets by default, as Airflow's (`only_active=true`): of two assets sharing a
URI, the one declared second is inactive and shows only with `only_active=false`."""

from __future__ import annotations

import asyncpg
import pytest

from riir_airflow.metastore import app_queries
from tests.broker.conftest import Broker

pytestmark = pytest.mark.postgres


async def test_assets_list_shows_active_assets_unless_asked(broker: Broker, db: asyncpg.Pool) -> None:
    await app_queries.declare_asset(db, "shared-first", "s3://shared/uri")
    await app_queries.declare_asset(db, "shared-second", "s3://shared/uri")
    with broker.client() as client:
        default = client.get("/api/v2/assets", params={"uri_pattern": "s3://shared"})
        every = client.get("/api/v2/assets", params={"uri_pattern": "s3://shared", "only_active": False})
    assert default.status_code == 200, default.text
    assert [a["name"] for a in default.json()["assets"]] == ["shared-first"]
    assert sorted(a["name"] for a in every.json()["assets"]) == ["shared-first", "shared-second"]
