"""Per-file memoization under the DAG app: clearing a run re-uses the cache. The cleared tries end `success` without
running, and the REST API shows them as Airflow clients expect (state success) with the note "cached: ..." and a
`cached` event-log entry each; then a new version of the task's code runs every file again."""

from __future__ import annotations

import textwrap
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.app.harness import AppProcess, cli, wait_for, wait_run_done
from tests.broker.conftest import PASSWORD, ServerThread, broker_config, free_port
from tests.test_file_cache import DAG_SOURCE

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(300)]

FILES = ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"]


async def test_clearing_a_run_reuses_the_cache_and_a_code_change_does_not(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path, pg_dsn: str
) -> None:
    src, out, calls = tmp_path / "src", tmp_path / "out", tmp_path / "calls.log"
    src.mkdir()
    out.mkdir()
    for name in FILES:
        (src / name).write_text(name.removesuffix(".txt"))
    path = dags / "cached_dag.py"

    def write(method: str) -> None:
        path.write_text(textwrap.dedent(DAG_SOURCE.format(src=str(src), out=str(out), calls=str(calls), method=method)))

    def ran() -> list[str]:
        return sorted(calls.read_text().split()) if calls.exists() else []

    write("upper")
    app = AppProcess(app_env, path, tmp_path / "app.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 30, "registration")
        cli(app_env, "dags", "trigger", "cached", "-r", "r1")
        assert await wait_run_done(db, "cached", "r1") == "success", app.output()
        assert ran() == FILES
        calls.write_text("")

        home = tmp_path / "broker"
        home.mkdir()
        port = free_port()
        with ServerThread(_create_app(broker_config(home, pg_dsn)), port):
            url = f"http://127.0.0.1:{port}"
            login = {"username": "admin", "password": PASSWORD.format("admin")}
            token = httpx.post(f"{url}/auth/token", json=login).json()["access_token"]
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
                cleared = client.post(
                    "/api/v2/dags/cached/clearTaskInstances",
                    json={"dag_run_id": "r1", "dry_run": False, "only_failed": False, "task_ids": ["transform"]},
                )
                assert cleared.status_code == 200, cleared.text
                assert cleared.json()["total_entries"] == len(FILES)

                async def rerun_done() -> bool:
                    rows = await db.fetch(
                        "SELECT state, try_number FROM task_instance WHERE run_id = 'r1' AND task_id = 'transform'"
                    )
                    return all(r["state"] == "success" and r["try_number"] == 2 for r in rows)

                await wait_for(rerun_done, 60, "the cleared tries to finish")
                assert ran() == []  # the cleared tries did not run the task...
                tis = client.get("/api/v2/dags/cached/dagRuns/r1/taskInstances").json()["task_instances"]
                mapped = [t for t in tis if t["task_id"] == "transform"]
                assert len(mapped) == len(FILES)
                for ti in mapped:  # ...they are successes noted "cached", as any Airflow client reads them
                    assert ti["state"] == "success" and ti["try_number"] == 2
                    assert ti["note"].startswith("cached: output of r1 ["), ti["note"]
                events = client.get("/api/v2/eventLogs", params={"dag_id": "cached", "event": "cached"}).json()
                assert events["total_entries"] == len(FILES)
                assert {e["map_index"] for e in events["event_logs"]} == set(range(len(FILES)))
                xcoms = client.get("/api/v2/dags/cached/dagRuns/r1/taskInstances/transform/xcomEntries").json()
                assert xcoms["total_entries"] == len(FILES)  # the recorded return values were pushed again
        assert (out / "a.txt").read_text() == "A!"
    finally:
        app.stop()

    # A new version of the task's code: the restarted app runs every file again.
    write("lower")
    app = AppProcess(app_env, path, tmp_path / "app2.log")
    try:
        await wait_for(lambda: db.fetchval("SELECT count(*) FROM app WHERE state = 'running'"), 30, "registration")
        cli(app_env, "dags", "trigger", "cached", "-r", "r2")
        assert await wait_run_done(db, "cached", "r2") == "success", app.output()
        assert ran() == FILES
        notes = await db.fetch("SELECT note FROM task_instance WHERE run_id = 'r2' AND task_id = 'transform'")
        assert [r["note"] for r in notes] == [None] * len(FILES)
        assert (out / "a.txt").read_text() == "a!"
    finally:
        app.stop()


def _create_app(config: object) -> object:
    from riir_airflow.broker.app import create_app

    return create_app(config)  # type: ignore[arg-type]
