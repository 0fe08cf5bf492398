"""What crosses DAG apps, with two real apps on a real PostgreSQL: TriggerDagRunOperator (wait, reset, failed
states, the run-id XCom), ExternalTaskSensor (task ids, task group, whole DAG, execution_delta), ExternalTaskMarker
(clearing the marker clears the sensor's side in the other app's DAG), and clearing with Airflow's options through
the CLI and the REST API (downstream, future, past, only-failed, dry run; reschedule rows deleted; cleared runs
go back to queued and their app runs them again)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import asyncpg
import httpx
import pytest

from riir_airflow.broker.app import create_app
from tests.app.harness import cli, start_app, task_states, wait_for, wait_run_done, write_dag
from tests.broker.conftest import PASSWORD, ServerThread, broker_config, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(240)]

TARGET = """
    import pendulum
    from airflow.sdk import DAG, TaskGroup, task

    with DAG("target", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        @task
        def work(dag_run=None):
            if dag_run.conf.get("fail"):
                raise ValueError("asked to fail")
            return dag_run.conf.get("n")

        with TaskGroup("grp"):
            @task
            def one():
                return 1

            @task
            def two():
                return 2

            one() >> two()

        work()
"""

CONTROLLER = """
    import datetime
    import pendulum
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
    from airflow.providers.standard.sensors.external_task import ExternalTaskSensor

    with DAG("controller", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        trigger = TriggerDagRunOperator(
            task_id="trigger", trigger_dag_id="target", trigger_run_id="{{ dag_run.conf['target_run'] }}",
            logical_date="{{ logical_date.isoformat() }}", conf={"n": 3, "fail": "{{ dag_run.conf['fail'] }}"},
            wait_for_completion=True, poke_interval=0.5, reset_dag_run=True,
        )
        sensors = [
            ExternalTaskSensor(task_id="wait_task", external_dag_id="target", external_task_id="work",
                               poke_interval=0.5, timeout=15, mode="reschedule", soft_fail=True),
            ExternalTaskSensor(task_id="wait_group", external_dag_id="target", external_task_group_id="grp",
                               poke_interval=0.5, timeout=15, soft_fail=True),
            ExternalTaskSensor(task_id="wait_dag", external_dag_id="target", poke_interval=0.5, timeout=15,
                               soft_fail=True),
            ExternalTaskSensor(task_id="wait_yesterday", external_dag_id="target", external_task_id="work",
                               execution_delta=datetime.timedelta(days=1), failed_states=["failed"],
                               poke_interval=0.5, timeout=60),
            ExternalTaskSensor(task_id="wait_deferred", external_dag_id="target", external_task_id="work",
                               execution_delta=datetime.timedelta(days=1), deferrable=True, poll_interval=0.5),
        ]
        trigger_deferred = TriggerDagRunOperator(
            task_id="trigger_deferred", trigger_dag_id="target", trigger_run_id="{{ dag_run.conf['target_run'] }}_d",
            logical_date=None, conf={"n": 4, "fail": "{{ dag_run.conf['fail'] }}"}, wait_for_completion=True,
            deferrable=True, poke_interval=0.5, reset_dag_run=True,
        )
        trigger >> sensors
        trigger_deferred >> sensors
"""

# Empty strings are falsy in the target's `conf.get("fail")`.
OK = json.dumps({"target_run": "t1", "fail": ""})


async def test_trigger_dag_run_and_external_task_sensor_between_apps(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    # Each app under its own confined role (`db grant-app`): the controller reaches the target only through the
    # metastore's checked functions.
    target_env = {**app_env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": cli(
        app_env, "db", "grant-app", "target").stdout.strip()}  # fmt: skip
    controller_env = {**app_env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": cli(
        app_env, "db", "grant-app", "controller").stdout.strip()}  # fmt: skip
    target = await start_app(target_env, db, write_dag(dags, "target.py", TARGET), tmp_path / "target.log")
    try:
        controller = await start_app(controller_env, db, write_dag(dags, "controller.py", CONTROLLER),
                                     tmp_path / "c.log")  # fmt: skip
    except BaseException:
        target.terminate()
        raise
    try:
        # The day before exists and succeeded: `wait_yesterday` (execution_delta=1 day) waits for it.
        cli(app_env, "dags", "trigger", "target", "-r", "before", "-l", "2024-03-01T00:00:00+00:00",
            "-c", json.dumps({"n": 0}))  # fmt: skip
        assert await wait_run_done(db, "target", "before") == "success"
        cli(app_env, "dags", "trigger", "controller", "-r", "c1", "-l", "2024-03-02T00:00:00+00:00", "-c", OK)
        assert await wait_run_done(db, "controller", "c1", 120) == "success", controller.output()
        assert "NOT confined" not in controller.output() + target.output()
        # The triggered run: the operator's run id, logical date and rendered conf; triggered by an operator.
        run = await db.fetchrow("SELECT * FROM dag_run WHERE dag_id = 'target' AND run_id = 't1'")
        # Airflow 3.3 gives runs a TriggerDagRunOperator creates the run type operator_triggered.
        assert (run["state"], run["run_type"], run["triggered_by"]) == (
            "success",
            "operator_triggered",
            "operator",
        )  # Airflow 3.3 run type
        assert run["logical_date"].isoformat() == "2024-03-02T00:00:00+00:00"
        assert json.loads(run["conf"]) == {"n": 3, "fail": ""}
        # The trigger task waited for it: it ended after the target run did.
        ended = await db.fetchval(
            "SELECT end_date FROM task_instance WHERE dag_id = 'controller' AND run_id = 'c1' AND task_id = 'trigger'"
        )
        assert ended >= run["end_date"]
        link = await db.fetchval(
            "SELECT value FROM xcom WHERE dag_id = 'controller' AND run_id = 'c1' AND task_id = 'trigger' "
            "AND key = 'trigger_run_id'"
        )
        assert json.loads(link) == "t1"
        states = await task_states(db, "controller", "c1")
        assert {t: s for t, (s, _) in states.items()} == {
            "trigger": "success", "wait_task": "success", "wait_group": "success", "wait_dag": "success",
            "wait_yesterday": "success", "trigger_deferred": "success", "wait_deferred": "success",
        }  # fmt: skip
        # The deferrable trigger waited through a DagStateTrigger for its own run, which has no logical date.
        deferred = await db.fetchrow("SELECT * FROM dag_run WHERE dag_id = 'target' AND run_id = 't1_d'")
        assert (deferred["state"], deferred["logical_date"], json.loads(deferred["conf"])["n"]) == ("success", None, 4)

        # Again with the same trigger_run_id: reset_dag_run clears t1 (its logical date and conf stay, as in
        # Airflow), which runs a second time; the trigger task waits for it again. Nothing of the target runs at
        # this run's own logical date, so the sensors watching it time out (soft_fail: skipped), while the one
        # watching the day before finds t1.
        cli(app_env, "dags", "trigger", "controller", "-r", "c2", "-l", "2024-03-03T00:00:00+00:00", "-c", OK)
        assert await wait_run_done(db, "controller", "c2", 120) == "success", controller.output()
        assert (await task_states(db, "target", "t1"))["work"] == ("success", 2)
        states = await task_states(db, "controller", "c2")
        assert {t: s for t, (s, _) in states.items()} == {
            "trigger": "success", "wait_task": "skipped", "wait_group": "skipped", "wait_dag": "skipped",
            "wait_yesterday": "success", "trigger_deferred": "success", "wait_deferred": "success",
        }  # fmt: skip

        # A new run that fails: failed_states ends the wait with Airflow's error, and the sensors never start.
        bad = json.dumps({"target_run": "t2", "fail": "yes"})
        cli(app_env, "dags", "trigger", "controller", "-r", "c3", "-l", "2024-03-04T00:00:00+00:00", "-c", bad)
        assert await wait_run_done(db, "controller", "c3", 120) == "failed", controller.output()
        assert (await task_states(db, "target", "t2"))["work"] == ("failed", 1)
        states = await task_states(db, "controller", "c3")
        assert {t: s for t, (s, _) in states.items()} == {
            "trigger": "failed", "wait_task": "upstream_failed", "wait_group": "upstream_failed",
            "wait_dag": "upstream_failed", "wait_yesterday": "upstream_failed", "trigger_deferred": "failed",
            "wait_deferred": "upstream_failed",
        }  # fmt: skip
        logged = await db.fetchval(
            "SELECT count(*) FROM task_log WHERE dag_id = 'controller' AND run_id = 'c3' AND task_id = 'trigger' "
            "AND line LIKE '%target failed with failed state failed%'"
        )
        assert logged > 0
    finally:
        controller.terminate()
        target.terminate()


PARENT = """
    import pendulum
    from airflow.sdk import DAG, task
    from airflow.providers.standard.sensors.external_task import ExternalTaskMarker

    with DAG("parent", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        @task
        def start():
            return 1

        start() >> ExternalTaskMarker(task_id="marker", external_dag_id="child", external_task_id="sense",
                                      recursion_depth=2)
"""

CHILD = """
    import pendulum
    from airflow.sdk import DAG, task
    from airflow.providers.standard.sensors.external_task import ExternalTaskSensor

    with DAG("child", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        @task
        def after():
            return 2

        ExternalTaskSensor(task_id="sense", external_dag_id="parent", external_task_id="start", poke_interval=0.5,
                           timeout=60, mode="reschedule") >> after()
"""

DAYS = ("2024-05-01", "2024-05-02", "2024-05-03")


async def _run_days(env: dict[str, str], db: asyncpg.Connection) -> None:
    for day in DAYS:
        for dag_id in ("child", "parent"):
            cli(env, "dags", "trigger", dag_id, "-r", f"{dag_id}_{day}", "-l", f"{day}T00:00:00+00:00")
    for day in DAYS:
        for dag_id in ("parent", "child"):
            assert await wait_run_done(db, dag_id, f"{dag_id}_{day}", 90) == "success"


async def _tries(db: asyncpg.Connection, dag_id: str) -> dict[tuple[str, str], int]:
    rows = await db.fetch("SELECT run_id, task_id, try_number FROM task_instance WHERE dag_id = $1", dag_id)
    return {(r["run_id"].split("_")[-1], r["task_id"]): r["try_number"] for r in rows}


async def _all_done(db: asyncpg.Connection) -> bool:
    open_runs = await db.fetchval("SELECT count(*) FROM dag_run WHERE state NOT IN ('success', 'failed')")
    return open_runs == 0


async def test_clearing_with_airflows_options_between_apps(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path, pg_dsn: str
) -> None:
    child = await start_app(app_env, db, write_dag(dags, "child.py", CHILD), tmp_path / "child.log")
    try:
        parent = await start_app(app_env, db, write_dag(dags, "parent.py", PARENT), tmp_path / "parent.log")
    except BaseException:
        child.terminate()
        raise
    port = free_port()
    try:
        await _run_days(app_env, db)
        assert set((await _tries(db, "child")).values()) == {1}
        cleared_at = await db.fetchval("SELECT now()")

        # CLI: `tasks clear parent -t start -d -s D -e D -y` clears start and the marker on that day, and through
        # the marker the child's sensor and its downstream task of the same logical date; the apps run them again.
        cli(app_env, "tasks", "clear", "parent", "-t", "^start$", "-d", "-s", "2024-05-02", "-e", "2024-05-02", "-y")
        await wait_for(lambda: _all_done(db), 90, "the cleared runs to finish again")
        assert await _tries(db, "parent") == {
            ("2024-05-01", "start"): 1, ("2024-05-01", "marker"): 1,
            ("2024-05-02", "start"): 2, ("2024-05-02", "marker"): 2,
            ("2024-05-03", "start"): 1, ("2024-05-03", "marker"): 1,
        }  # fmt: skip
        tries = await _tries(db, "child")
        assert tries[("2024-05-02", "sense")] >= 2 and tries[("2024-05-02", "after")] == 2
        assert tries[("2024-05-01", "after")] == 1 and tries[("2024-05-03", "after")] == 1
        # The cleared sensor's old reschedule rows are gone with its cleared try (Airflow's prepare_db_for_next_try).
        stale = await db.fetchval(
            "SELECT count(*) FROM task_reschedule r JOIN task_instance ti ON ti.id = r.ti_id "
            "WHERE ti.dag_id = 'child' AND ti.run_id = 'child_2024-05-02' AND r.start_date < $1",
            cleared_at,
        )  # fmt: skip
        assert stale == 0

        with contextlib.ExitStack() as stack, ServerThread(create_app(broker_config(tmp_path, pg_dsn)), port):
            url = f"http://127.0.0.1:{port}"
            login = {"username": "admin", "password": PASSWORD.format("admin")}
            token = httpx.post(f"{url}/auth/token", json=login).json()["access_token"]
            api = httpx.Client(base_url=f"{url}/api/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30)
            stack.callback(api.close)

            def clear(**body: object) -> list[tuple[str, str]]:
                response = api.post("/dags/parent/clearTaskInstances", json=body)
                assert response.status_code == 200, response.text
                return sorted((ti["dag_id"], ti["dag_run_id"].split("_")[-1] + ":" + ti["task_id"])
                              for ti in response.json()["task_instances"])  # fmt: skip

            # include_future from the second day, dry run: that day and the next. As in Airflow 3.3.2, the REST API
            # does not follow the ExternalTaskMarker into the child DAG (the CLI above does).
            assert clear(dry_run=True, only_failed=False, dag_run_id="parent_2024-05-02", task_ids=["start"],
                         include_downstream=True, include_future=True) == [
                ("parent", "2024-05-02:marker"), ("parent", "2024-05-02:start"),
                ("parent", "2024-05-03:marker"), ("parent", "2024-05-03:start"),
            ]  # fmt: skip
            # include_past, upstream of the marker only (no downstream): the first two days' start and marker.
            assert clear(dry_run=True, only_failed=False, dag_run_id="parent_2024-05-02", task_ids=["marker"],
                         include_upstream=True, include_past=True) == [
                ("parent", "2024-05-01:marker"), ("parent", "2024-05-01:start"),
                ("parent", "2024-05-02:marker"), ("parent", "2024-05-02:start"),
            ]  # fmt: skip
            # only_failed (Airflow's default): nothing failed, nothing to clear.
            assert clear(dry_run=False, dag_run_id="parent_2024-05-01") == []
            # For real: the first day's start runs again.
            assert clear(dry_run=False, only_failed=False, dag_run_id="parent_2024-05-01", task_ids=["start"]) == [
                ("parent", "2024-05-01:start")
            ]
            await wait_for(lambda: _all_done(db), 90, "the cleared run to finish again")
            assert (await _tries(db, "parent"))[("2024-05-01", "start")] == 2

            # Mark failed with include_future and include_downstream: start and marker of days 2 and 3.
            response = api.patch(
                "/dags/parent/dagRuns/parent_2024-05-02/taskInstances/start/dry_run",
                json={"new_state": "failed", "include_future": True, "include_downstream": True},
            )
            assert response.status_code == 200, response.text
            assert sorted((t["dag_run_id"], t["task_id"]) for t in response.json()["task_instances"]) == [
                ("parent_2024-05-02", "marker"), ("parent_2024-05-02", "start"),
                ("parent_2024-05-03", "marker"), ("parent_2024-05-03", "start"),
            ]  # fmt: skip
            response = api.patch(
                "/dags/parent/dagRuns/parent_2024-05-02/taskInstances/start",
                json={"new_state": "failed", "include_future": True},
            )
            assert response.status_code == 200, response.text
            states = await db.fetch("SELECT run_id, state FROM task_instance WHERE dag_id = 'parent' "
                                    "AND task_id = 'start' ORDER BY run_id")  # fmt: skip
            assert [r["state"] for r in states] == ["success", "failed", "failed"]
            # The bulk endpoint: mark day 3's start success again (the entity names no map index: every index).
            response = api.patch("/dags/parent/dagRuns/parent_2024-05-03/taskInstances", json={"actions": [
                {"action": "update", "entities": [{"task_id": "start", "new_state": "success"},
                                                  {"task_id": "nope", "new_state": "success"}]},
            ]})  # fmt: skip
            assert response.status_code == 200, response.text
            bulk = response.json()
            assert bulk["update"]["success"] == ["parent.parent_2024-05-03.start[-1]"]
            assert [e["status_code"] for e in bulk["update"]["errors"]] == [404]
            assert bulk["create"] is None and bulk["delete"] is None  # bulk delete: tests/broker/test_rest_surface.py
            # Then only_failed clears the one still failed (the markers stayed success: the child is left alone).
            assert clear(dry_run=False, only_failed=True, task_ids=["start"]) == [("parent", "2024-05-02:start")]
            await wait_for(lambda: _all_done(db), 90, "the cleared runs to finish again")
            rows = await db.fetch("SELECT state FROM dag_run WHERE dag_id = 'parent'")
            assert {r["state"] for r in rows} == {"success"}
            # include_past on a run without a logical date: Airflow's 400.
            cli(app_env, "dags", "trigger", "parent", "-r", "nodate")
            await wait_run_done(db, "parent", "nodate")
            response = api.post(
                "/dags/parent/clearTaskInstances", json={"dag_run_id": "nodate", "include_past": True, "dry_run": True}
            )
            assert response.status_code == 400 and "include_past or include_future" in response.text
    finally:
        parent.terminate()
        child.terminate()
