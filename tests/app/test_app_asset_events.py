"""Under the DAG app, asset events a task emits (outlet extras, `yield Metadata`, events through aliases) are
registered in the metastore with the try's success, and a downstream task reads them through `inlet_events`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import AppProcess, cli, task_states, wait_for, wait_run_done

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(120)]

BEHAVIOUR_DAG = Path(__file__).resolve().parents[2] / "compat-tests" / "behaviour" / "dags" / "asset_events_runtime.py"


async def test_asset_events_are_registered_and_read_back_under_the_app(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    # The same DAG the behaviour suite compares with Airflow 3.3.2's `dags test`.
    path = dags / BEHAVIOUR_DAG.name
    shutil.copy(BEHAVIOUR_DAG, path)
    app = AppProcess(app_env, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 20, "app registration")
        cli(app_env, "dags", "trigger", "asset_events_runtime", "-r", "r1")
        assert await wait_run_done(db, "asset_events_runtime", "r1") == "success", app.output()
        assert set((await task_states(db, "asset_events_runtime", "r1")).values()) == {("success", 1)}
        rows = await db.fetch(
            "SELECT a.name, a.uri, e.extra, e.source_task_id, e.source_run_id, e.source_map_index, "
            "coalesce((SELECT array_agg(al.name) FROM asset_alias_asset_event l JOIN asset_alias al "
            "ON al.id = l.alias_id WHERE l.event_id = e.id), '{}') AS aliases "
            "FROM asset_event e JOIN asset a ON a.id = e.asset_id ORDER BY a.name"
        )
        events = [
            (r["name"], r["uri"], json.loads(r["extra"]) if isinstance(r["extra"], str) else r["extra"],
             r["source_task_id"], r["source_run_id"], r["source_map_index"], list(r["aliases"]))
            for r in rows
        ]  # fmt: skip
        assert events == [
            ("a", "s3://bucket/a", {"rows": 3}, "extra_setter", "r1", -1, []),
            ("b", "b", {"from": "metadata"}, "metadata_yielder", "r1", -1, []),
            ("c-via-alias", "c-via-alias", {"via": "alias"}, "alias_adder", "r1", -1, ["out-alias"]),
            ("d-via-meta", "d-via-meta", {"meta": 1}, "metadata_yielder", "r1", -1, ["meta-alias"]),
        ]
        # The alias-created asset exists now; the reader saw every event through the app's channel.
        read = json.loads(await db.fetchval("SELECT value FROM xcom WHERE task_id = 'reader' AND run_id = 'r1'"))
        assert [e["extra"] for e in read["a"]] == [{"rows": 3}]
        assert [(e["extra"], e["asset"]) for e in read["alias"]] == [
            ({"via": "alias"}, ["c-via-alias", "c-via-alias", "asset"])
        ]
        assert read["meta_alias"][0]["task"] == "metadata_yielder" and read["count"] == 4 and read["b_by_name"] == 1
    finally:
        app.stop()
