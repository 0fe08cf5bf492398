"""Database roles: one confined login role per DAG app, one for the broker (see migration 0003_app_roles.sql).

`grant_app` (run with the schema owner's connection) creates or updates the app's role and its row in
`riir_app_grant`, which the row-level security policies read: the role then writes only rows of its own dag ids,
reads the variables and connections its patterns name, reaches other DAGs only through the checked definer
functions, and owns nothing, so it cannot alter the schema, create roles or touch other DAGs' rows.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from riir_airflow.metastore.queries import Db

# Tables an app reads and writes (row-level security narrows them to its dag ids / its grant).
APP_READ_WRITE = ("dag", "dag_version", "backfill", "dag_run", "task_instance", "task_instance_history", "xcom",
                  "task_log", "event", "app", "variable", "task_reschedule", "dag_schedule_lease",
                  "dagrun_asset_event", "deadline",
                  "dag_schedule_asset_reference", "dag_schedule_asset_alias_reference",  # 0012
                  "asset_dag_run_queue",
                  "task_state_store")  # 0016  # fmt: skip
APP_READ_ONLY = ("connection", "pool", "asset", "asset_event", "riir_schema_version")
# Tables of migration 0006 (narrowed by 0013's policies): HITL requests of its own tries, shared asset state and
# aliases (written only in its own name; 0012's checked functions declare aliases and link their events too).
APP_SHARED = {
    "hitl_detail": "SELECT, INSERT, UPDATE, DELETE",
    "asset_state": "SELECT, INSERT, UPDATE, DELETE",
    "asset_alias": "SELECT, INSERT, UPDATE",
    "asset_alias_asset_event": "SELECT, INSERT",
}
APP_FUNCTIONS = (
    "riir_lock_pools(text[])",
    "riir_pool_usage(text[])",
    "riir_trigger_dag_run(text, text, timestamptz, jsonb)",
    "riir_external_task_count(text, timestamptz, text[], text[])",
    "riir_read_xcoms(text, text, text, text, integer, boolean)",
    "riir_dag_run_state(text, text)",  # 0012
    "riir_reset_dag_run(text, text)",
    "riir_external_count(text, timestamptz[], text[], text[], text)",
    "riir_record_watcher_event(text, text, jsonb)",
    "riir_declare_asset(text, text, text, jsonb)",
    "riir_declare_asset_alias(text)",
    "riir_link_alias_event(integer, bigint)",
)
GRANT_LOCK = 0x72696972_6772  # pg_advisory_xact_lock key serializing `db grant-app` runs ("riir" "gr")
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
_NOT_IDENT = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True)
class AppGrant:
    """What one app's role may do beyond its own DAGs' rows (LIKE patterns)."""

    dag_ids: tuple[str, ...]
    read_variables: tuple[str, ...] = ("%",)
    write_variables: tuple[str, ...] = ()
    read_connections: tuple[str, ...] = ("%",)
    trigger_dag_ids: tuple[str, ...] = ("%",)
    read_xcom_dag_ids: tuple[str, ...] = ("%",)  # other DAGs whose XComs its tasks may pull (riir_read_xcoms)
    max_registrations: int = 30
    # The deploy identity its DAG versions must record (None: not pinned; the app's claim is kept, marked unchecked)
    deployed_by: str | None = None
    service_account: str | None = None
    image: str | None = None
    environment: str | None = None


def app_role_name(dag_id: str) -> str:
    """`riir_app_<readable part>_<hash>`: a valid, unique PostgreSQL name (at most 63 bytes) for any dag id."""
    readable = _NOT_IDENT.sub("_", dag_id.lower()).strip("_")[:40]
    digest = hashlib.sha256(dag_id.encode()).hexdigest()[:10]
    return f"riir_app_{readable}_{digest}" if readable else f"riir_app_{digest}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def role_uri(owner_dsn: str, role: str, password: str) -> str:
    """The owner's connection URL with the role's login instead (same host, port, database and options)."""
    parts = urlsplit(owner_dsn)
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{quote(role, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


async def _ensure_login_role(conn: asyncpg.Connection, role: str, password: str) -> None:
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    verb = "ALTER" if exists else "CREATE"
    # The password goes through format()'s literal quoting on the server; a role must not be a superuser's.
    statement = await conn.fetchval(
        f"SELECT format('{verb} ROLE %I WITH {ROLE_ATTRIBUTES} CONNECTION LIMIT 64 PASSWORD %L', $1::text, $2::text)",
        role, password,
    )  # fmt: skip
    await conn.execute("SET LOCAL password_encryption = 'scram-sha-256'")
    await conn.execute(statement)


async def grant_app(conn: asyncpg.Connection, grant: AppGrant, *, password: str | None = None) -> tuple[str, str]:
    """Create or update the confined role of the app serving `grant.dag_ids`; returns (role, password).

    A new password is made unless one is given (rotating it means restarting the app with the new URI)."""
    if not grant.dag_ids:
        raise ValueError("grant-app needs at least one DAG id")
    role = app_role_name(grant.dag_ids[0])
    password = password or secrets.token_urlsafe(24)
    async with conn.transaction():  # all or nothing: a half-granted role would be confusing
        # One grant at a time: concurrent GRANTs on the same tables fail with "tuple concurrently updated".
        await conn.execute("SELECT pg_advisory_xact_lock($1)", GRANT_LOCK)
        await _ensure_login_role(conn, role, password)
        database = await conn.fetchval("SELECT current_database()")
        schema = await conn.fetchval("SELECT current_schema()")
        await conn.execute(f"GRANT CONNECT ON DATABASE {_ident(database)} TO {_ident(role)}")
        await conn.execute(f"GRANT USAGE ON SCHEMA {_ident(schema)} TO {_ident(role)}")
        await conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(APP_READ_WRITE)} TO {_ident(role)}")
        await conn.execute(f"GRANT SELECT ON {', '.join(APP_READ_ONLY)} TO {_ident(role)}")
        await conn.execute(f"GRANT INSERT ON asset_event TO {_ident(role)}")
        for table, privileges in APP_SHARED.items():
            await conn.execute(f"GRANT {privileges} ON {table} TO {_ident(role)}")
        await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_ident(schema)} TO {_ident(role)}")
        for function in APP_FUNCTIONS:
            await conn.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {_ident(role)}")
        await conn.execute(
            """
            INSERT INTO riir_app_grant (role_name, dag_ids, read_variables, write_variables, read_connections,
                trigger_dag_ids, max_registrations, read_xcom_dag_ids, deployed_by, service_account, image,
                environment)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (role_name) DO UPDATE SET dag_ids = EXCLUDED.dag_ids,
                read_variables = EXCLUDED.read_variables, write_variables = EXCLUDED.write_variables,
                read_connections = EXCLUDED.read_connections, trigger_dag_ids = EXCLUDED.trigger_dag_ids,
                max_registrations = EXCLUDED.max_registrations, read_xcom_dag_ids = EXCLUDED.read_xcom_dag_ids,
                deployed_by = EXCLUDED.deployed_by, service_account = EXCLUDED.service_account,
                image = EXCLUDED.image, environment = EXCLUDED.environment, updated_at = now()
            """,
            role, list(grant.dag_ids), list(grant.read_variables), list(grant.write_variables),
            list(grant.read_connections), list(grant.trigger_dag_ids), grant.max_registrations,
            list(grant.read_xcom_dag_ids), grant.deployed_by, grant.service_account, grant.image, grant.environment,
        )  # fmt: skip
    return role, password


BROKER_ROLE = "riir_broker"


async def grant_broker(conn: asyncpg.Connection, *, password: str | None = None) -> tuple[str, str]:
    """The broker's login role: reads and writes every row through the API (it is not confined), owns nothing, so
    it cannot change the schema or roles."""
    password = password or secrets.token_urlsafe(24)
    async with conn.transaction():
        await _grant_broker(conn, password)
    return BROKER_ROLE, password


async def _grant_broker(conn: asyncpg.Connection, password: str) -> None:
    await _ensure_login_role(conn, BROKER_ROLE, password)
    database = await conn.fetchval("SELECT current_database()")
    schema = await conn.fetchval("SELECT current_schema()")
    tables = [r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)]
    await conn.execute(f"GRANT CONNECT ON DATABASE {_ident(database)} TO {BROKER_ROLE}")
    await conn.execute(f"GRANT USAGE ON SCHEMA {_ident(schema)} TO {BROKER_ROLE}")
    await conn.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(_ident(t) for t in tables)} TO {BROKER_ROLE}"
    )
    await conn.execute(f"REVOKE INSERT, UPDATE, DELETE ON riir_app_grant FROM {BROKER_ROLE}")
    await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_ident(schema)} TO {BROKER_ROLE}")


EMBEDDED_WARNING = (
    "This app logs in to the embedded PostgreSQL as its superuser: it is NOT confined to its own DAGs' rows. For "
    "confinement, run `riir-airflow db grant-app DAG_ID` and start the app with the printed URI."
)


async def confinement_warning(conn: Db) -> str | None:
    """A warning when this connection's role is not confined to its DAGs (owner, superuser, unlisted role)."""
    row = await conn.fetchrow(
        "SELECT r.rolsuper, r.rolbypassrls, current_user AS role, "
        "EXISTS (SELECT 1 FROM pg_tables t WHERE t.tablename = 'dag' AND t.tableowner = current_user) AS owner, "
        "to_regclass('riir_app_grant') IS NOT NULL AND riir_confined() AS confined "
        "FROM pg_roles r WHERE r.rolname = current_user"
    )
    if row is None or row["confined"]:
        return None
    why = "a superuser" if row["rolsuper"] else "the schema owner" if row["owner"] else "not granted to an app"
    return (
        f"This app logs in as {row['role']!r} ({why}): it is NOT confined to its own DAGs' rows. Give it its own "
        f"role with `riir-airflow db grant-app DAG_ID` and start it with the printed URI."
    )


def parse_patterns(values: Sequence[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """Command-line patterns: repeated or comma-separated; `none` means no pattern at all."""
    if values is None:
        return default
    items = tuple(p.strip() for v in values for p in v.split(",") if p.strip())
    return () if items == ("none",) else items
