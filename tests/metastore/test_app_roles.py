"""A DAG app's own role (`db grant-app`): confined by row-level security to its DAGs' rows, no schema or role
changes, other DAGs reachable only through the checked definer functions."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from riir_airflow.metastore import queries as q
from riir_airflow.metastore import roles
from riir_airflow.metastore import secrets as s
from riir_airflow.metastore.fernet import fernet_from_key
from riir_airflow.metastore.pool import init_connection
from riir_airflow.metastore.records import ConnectionRecord, TaskInstanceKey
from tests.metastore.conftest import make_run

pytestmark = pytest.mark.postgres
PLAIN = fernet_from_key("")


@pytest.fixture
async def attacker(db: asyncpg.Pool, pg_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """Two DAGs with a run each; a connection logged in as the `attacker` DAG's own role."""
    for dag_id in ("victim", "attacker"):
        await make_run(db, dag_id)
        await q.set_xcom(db, TaskInstanceKey(dag_id, "manual__1", "a", -1), "return_value", {"of": dag_id})
    await s.set_variable(db, "shared_setting", "visible", cipher=PLAIN)
    await s.set_connection(db, ConnectionRecord("warehouse", "postgres", password="pw-12345"), cipher=PLAIN)
    owner = await asyncpg.connect(pg_dsn)
    try:
        role, password = await roles.grant_app(owner, roles.AppGrant(dag_ids=("attacker",), trigger_dag_ids=()))
    finally:
        await owner.close()
    conn = await asyncpg.connect(roles.role_uri(pg_dsn, role, password))
    await init_connection(conn)
    try:
        yield conn
    finally:
        await conn.close()


async def test_sees_and_writes_only_its_own_dags(attacker: asyncpg.Connection, db: asyncpg.Pool) -> None:
    assert await attacker.fetchval("SELECT array_agg(DISTINCT dag_id) FROM xcom") == ["attacker"]
    assert await attacker.fetchval("SELECT count(*) FROM dag_run WHERE dag_id = 'victim'") == 0
    assert await attacker.execute("DELETE FROM dag_run WHERE dag_id = 'victim'") == "DELETE 0"
    assert await attacker.execute("UPDATE task_instance SET state = 'failed' WHERE dag_id = 'victim'") == "UPDATE 0"
    assert await attacker.execute("DELETE FROM xcom") == "DELETE 1"  # its own only
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        await attacker.execute("INSERT INTO dag_run (dag_id, run_id, run_type) VALUES ('victim', 'evil', 'manual')")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        await attacker.execute("INSERT INTO app (id, name, dag_ids) VALUES ('x', 'x', '{victim}')")
    # The victim's rows are untouched.
    assert await db.fetchval("SELECT count(*) FROM dag_run WHERE dag_id = 'victim'") == 1
    assert await db.fetchval("SELECT count(*) FROM task_instance WHERE dag_id = 'victim' AND state IS NULL") == 3
    assert await db.fetchval("SELECT count(*) FROM xcom WHERE dag_id = 'victim'") == 1


async def test_no_schema_roles_or_superuser_powers(attacker: asyncpg.Connection) -> None:
    for statement in (
        "CREATE TABLE evil (id int)",
        "ALTER TABLE dag ADD COLUMN evil int",
        "DROP TABLE xcom",
        "CREATE ROLE evil LOGIN SUPERUSER",
        "ALTER ROLE CURRENT_USER SUPERUSER",
        "ALTER TABLE dag_run DISABLE ROW LEVEL SECURITY",
        "TRUNCATE task_log",
        "SELECT pg_read_file('/etc/passwd')",
        "UPDATE riir_app_grant SET dag_ids = '{victim}'",
        "INSERT INTO pool (pool, slots) VALUES ('mine', 1000)",
        "UPDATE connection SET password = 'x'",
    ):
        with pytest.raises((asyncpg.InsufficientPrivilegeError, asyncpg.InvalidSchemaNameError)):
            await attacker.execute(statement)
    assert await attacker.fetch("SELECT role_name FROM riir_app_grant") == [
        (roles.app_role_name("attacker"),)
    ]  # its own grant only


async def test_variables_connections_and_cross_dag_functions(attacker: asyncpg.Connection, db: asyncpg.Pool) -> None:
    assert await attacker.fetchval("SELECT val FROM variable WHERE key = 'shared_setting'") == "visible"
    assert await attacker.fetchval("SELECT password FROM connection WHERE conn_id = 'warehouse'") == "pw-12345"
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        await attacker.execute("INSERT INTO variable (key, val) VALUES ('planted', 'x')")
    assert await attacker.execute("DELETE FROM variable") == "DELETE 0"
    # Its grant allows triggering no DAG: refused and recorded in the event log.
    assert await attacker.fetchval("SELECT riir_trigger_dag_run('victim', 'evil', NULL, '{}')") is None
    assert await db.fetchval("SELECT count(*) FROM event WHERE event = 'riir_refused_trigger'") == 1
    # Pools are shared: the claim query (definer functions for the pool rows) works under the role.
    await db.execute("UPDATE task_instance SET state = 'scheduled' WHERE dag_id IN ('victim', 'attacker')")
    claimed = await q.claim_ready_tries(attacker, app_id="a1", hostname="h", limit=10)
    assert {ti.dag_id for ti in claimed} == {"attacker"} and len(claimed) == 3
    assert await db.fetchval("SELECT count(*) FROM task_instance WHERE dag_id = 'victim' AND state = 'scheduled'") == 3


async def test_registrations_are_rate_limited(attacker: asyncpg.Connection) -> None:
    for i in range(30):
        await attacker.execute("INSERT INTO app (id, name, dag_ids) VALUES ($1, 'a', '{attacker}')", f"app{i}")
    with pytest.raises(asyncpg.ProgramLimitExceededError, match="registered 30 apps in the last minute"):
        await attacker.execute("INSERT INTO app (id, name, dag_ids) VALUES ('one-more', 'a', '{attacker}')")


async def test_confinement_warning(attacker: asyncpg.Connection, pg_dsn: str) -> None:
    assert await roles.confinement_warning(attacker) is None
    owner = await asyncpg.connect(pg_dsn)
    try:
        warning = await roles.confinement_warning(owner)
    finally:
        await owner.close()
    assert warning is not None and "NOT confined" in warning and "a superuser" in warning


def test_role_names_are_valid_and_distinct() -> None:
    long = "x" * 250
    assert len(roles.app_role_name(long)) <= 63
    assert roles.app_role_name("My.DAG") != roles.app_role_name("my_dag")
    assert roles.app_role_name("héllo").startswith("riir_app_h_llo_")


async def test_grant_app_cli_prints_only_the_uri(db: asyncpg.Pool, pg_dsn: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(tmp_path), AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=pg_dsn)
    done = subprocess.run([str(Path(sys.executable).parent / "riir-airflow"), "db", "grant-app", "cli_dag"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    uri = done.stdout.strip()
    assert uri.startswith(f"postgresql://{roles.app_role_name('cli_dag')}:") and "\n" not in uri
    await make_run(db, "target")
    conn = await asyncpg.connect(uri)
    try:
        assert await conn.fetchval("SELECT riir_my_dag_ids()") == ["cli_dag"]
        # Its grant allows triggering any DAG (the default): the run is created, though the role cannot read it.
        assert await conn.fetchval("SELECT riir_trigger_dag_run('target', 'from_cli_dag', NULL, '{}')") is not None
        assert await conn.fetchval("SELECT count(*) FROM dag_run WHERE dag_id = 'target'") == 0
    finally:
        await conn.close()


async def test_every_table_an_app_can_write_has_row_level_security(attacker: asyncpg.Connection) -> None:
    """A table added later with a grant to app roles but no policy would open every DAG's rows: none may exist."""
    rows = await attacker.fetch(
        """
        SELECT c.relname, c.relrowsecurity,
               bool_or(p.privilege_type IN ('INSERT', 'UPDATE', 'DELETE')) AS writes
        FROM information_schema.role_table_grants p JOIN pg_class c ON c.relname = p.table_name
        WHERE p.grantee = current_user AND c.relkind = 'r' AND p.table_schema = current_schema()
        GROUP BY c.relname, c.relrowsecurity
        """
    )
    reachable = {r["relname"]: (r["relrowsecurity"], r["writes"]) for r in rows}
    assert {"hitl_detail", "asset_state", "asset_alias", "asset_alias_asset_event"} <= set(reachable)
    without_rls = {name for name, (rls, _) in reachable.items() if not rls}
    # Read-only tables with nothing per-DAG or secret in them may stay open.
    assert without_rls <= {"asset", "riir_schema_version"}, without_rls
    assert not any(reachable[name][1] for name in without_rls)


async def test_hitl_asset_state_and_aliases_are_confined(attacker: asyncpg.Connection, db: asyncpg.Pool) -> None:
    victim_ti = await db.fetchval("SELECT id FROM task_instance WHERE dag_id = 'victim' LIMIT 1")
    own_ti = await db.fetchval("SELECT id FROM task_instance WHERE dag_id = 'attacker' LIMIT 1")
    for ti in (victim_ti, own_ti):
        await db.execute("INSERT INTO hitl_detail (ti_id, options, subject) VALUES ($1, '[\"ok\"]', 'approve?')", ti)
    asset = await db.fetchval("INSERT INTO asset (name, uri) VALUES ('a', 'a') RETURNING id")
    await db.execute(
        "INSERT INTO asset_state (asset_id, key, value, last_updated_by_kind, last_updated_by_dag_id) "
        "VALUES ($1, 'watermark', '1', 'task', 'victim')", asset,
    )  # fmt: skip
    victim_event = await db.fetchval(
        "INSERT INTO asset_event (asset_id, source_dag_id) VALUES ($1, 'victim') RETURNING id", asset
    )
    alias = await db.fetchval("INSERT INTO asset_alias (name) VALUES ('victims-alias') RETURNING id")
    # HITL: its own request only; the victim's can be neither read nor answered.
    assert await attacker.fetchval("SELECT array_agg(ti_id) FROM hitl_detail") == [own_ti]
    assert (
        await attacker.execute("UPDATE hitl_detail SET chosen_options = '[\"ok\"]' WHERE ti_id = $1", victim_ti)
        == "UPDATE 0"
    )
    # Asset state: readable, but written only in its own name, and the victim's keys cannot be erased.
    assert await attacker.fetchval("SELECT value FROM asset_state WHERE key = 'watermark'") == 1
    assert await attacker.execute("DELETE FROM asset_state") == "DELETE 0"
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        await attacker.execute(
            "UPDATE asset_state SET value = '99', last_updated_by_dag_id = 'victim' WHERE asset_id = $1", asset
        )
    assert await attacker.execute(
        "UPDATE asset_state SET value = '2', last_updated_by_dag_id = 'attacker' WHERE asset_id = $1", asset
    ) == "UPDATE 1"  # fmt: skip
    # Aliases: created by anyone, renamed by no app; only its own events are linked to one.
    await attacker.execute(
        "INSERT INTO asset_alias (name) VALUES ('mine') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name"
    )
    await attacker.execute(
        "INSERT INTO asset_alias (name) VALUES ('mine') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name"
    )
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="may not change asset alias"):
        await attacker.execute("UPDATE asset_alias SET name = 'hijacked' WHERE id = $1", alias)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        await attacker.execute(
            "INSERT INTO asset_alias_asset_event (alias_id, event_id) VALUES ($1, $2)", alias, victim_event
        )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await attacker.execute("DELETE FROM asset_alias")
    assert await db.fetchval("SELECT name FROM asset_alias WHERE id = $1", alias) == "victims-alias"
    assert await db.fetchval("SELECT count(*) FROM hitl_detail WHERE chosen_options IS NOT NULL") == 0


async def test_deploy_identity_is_checked_against_the_grant(db: asyncpg.Pool, pg_dsn: str) -> None:
    await make_run(db, "pinned")
    owner = await asyncpg.connect(pg_dsn)
    try:
        grant = roles.AppGrant(dag_ids=("pinned",), deployed_by="ci-bot", image="repo/dags:1.2")
        role, password = await roles.grant_app(owner, grant)
    finally:
        await owner.close()
    app = await asyncpg.connect(roles.role_uri(pg_dsn, role, password))
    insert = (
        "INSERT INTO dag_version (id, dag_id, version_number, dag_hash, data, deployed_by, image, service_account) "
        "VALUES (gen_random_uuid(), 'pinned', $1, 'h', '{}', $2, $3, $4) RETURNING identity_checked"
    )
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="claims deployed_by = mallory"):
            await app.fetchval(insert, 100, "mallory", "repo/dags:1.2", None)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="claims image = NULL"):
            await app.fetchval(insert, 101, "ci-bot", None, None)
        assert await app.fetchval(insert, 102, "ci-bot", "repo/dags:1.2", None) is True
        # A field the grant does not pin keeps the app's word, and the row says it was not checked.
        assert await app.fetchval(insert, 103, "ci-bot", "repo/dags:1.2", "sa-claimed") is False
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="claims deployed_by"):
            await app.execute("UPDATE dag_version SET deployed_by = 'mallory' WHERE dag_id = 'pinned'")
    finally:
        await app.close()
    # Rows the owner writes are not checked (it is trusted).
    assert await db.fetchval(insert, 104, "anyone", None, None) is None


async def test_concurrent_grants_all_succeed(db: asyncpg.Pool, pg_dsn: str) -> None:
    """`standalone` grants several apps' roles at once (GRANTs on the same tables would otherwise collide)."""
    import asyncio

    async def grant(dag_id: str) -> str:
        owner = await asyncpg.connect(pg_dsn)
        try:
            role, _ = await roles.grant_app(owner, roles.AppGrant(dag_ids=(dag_id,)))
            return role
        finally:
            await owner.close()

    dag_ids = [f"concurrent_{i}" for i in range(6)]
    assert await asyncio.gather(*(grant(d) for d in dag_ids)) == [roles.app_role_name(d) for d in dag_ids]
