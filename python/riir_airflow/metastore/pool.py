"""From `[database] sql_alchemy_conn` to an asyncpg pool.

Accepts every spelling Airflow users write for PostgreSQL (`postgresql://`, `postgres://`, with a SQLAlchemy driver
suffix such as `+psycopg2`, `+psycopg` or `+asyncpg`, query options such as `sslmode`); refuses other databases
with a message that says what to do. An empty value means "no database configured": the embedded PostgreSQL under
`$AIRFLOW_HOME` is started (see `embedded.py`).

Pool sizing follows Airflow's keys: `sql_alchemy_pool_size` connections plus `sql_alchemy_max_overflow` more under
load, idle connections closed after `sql_alchemy_pool_recycle` seconds. Behind pgbouncer in transaction mode set
`[database] asyncpg_statement_cache_size = 0` (or `?prepared_statement_cache_size=0` in the URL, SQLAlchemy's
spelling) so no named prepared statements outlive a transaction.
"""

from __future__ import annotations

import asyncio
import json
import json.scanner
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from riir_airflow.config import AirflowConfigParser
from riir_airflow.config import conf as default_conf
from riir_airflow.exceptions import AirflowConfigException

POSTGRES_SCHEMES = ("postgresql", "postgres")
# libpq / psycopg options that asyncpg would otherwise send to the server as unknown settings.
_CLIENT_ONLY_OPTIONS = {
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "gssencmode",
    "channel_binding",
    "requiressl",
    "async_fallback",
    "prepared_statement_name_func",
    "hostaddr",
    "load_balance_hosts",
}


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything needed to open metastore connections; `dsn` is a plain `postgresql://` URL asyncpg accepts."""

    dsn: str
    min_size: int = 1
    max_size: int = 15
    max_inactive_connection_lifetime: float = 1800.0
    statement_cache_size: int = 100
    connect_timeout: float | None = None
    server_settings: dict[str, str] = field(default_factory=dict)
    embedded: bool = False

    @property
    def display_dsn(self) -> str:
        """The DSN with any password masked, for messages."""
        parts = urlsplit(self.dsn)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return urlunsplit(parts._replace(netloc=netloc))
        return self.dsn


def normalize_dsn(url: str) -> tuple[str, dict[str, str]]:
    """`postgresql+psycopg2://...?sslmode=x&connect_timeout=5` -> (`postgresql://...?sslmode=x`, client options).

    Client options are the query parameters asyncpg takes as arguments instead (connect_timeout,
    prepared_statement_cache_size); libpq-only options it cannot use are dropped.
    """
    parts = urlsplit(url.strip())
    scheme, _, driver = parts.scheme.partition("+")
    if scheme.lower() not in POSTGRES_SCHEMES:
        kind = scheme.lower() or "(no scheme)"
        raise AirflowConfigException(
            f"[database] sql_alchemy_conn uses {kind!r}, but riir-airflow's metastore is PostgreSQL only. Set it to a "
            "postgresql:// URL (e.g. postgresql://user:password@host:5432/airflow), or remove it to use the embedded "
            "PostgreSQL under $AIRFLOW_HOME."
        )
    if driver and driver.lower() not in ("psycopg2", "psycopg", "psycopg2cffi", "asyncpg", "pg8000", "pygresql"):
        raise AirflowConfigException(
            f"[database] sql_alchemy_conn: unknown PostgreSQL driver {driver!r} in {scheme}+{driver}://"
        )
    query: list[tuple[str, str]] = []
    client: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in ("connect_timeout", "prepared_statement_cache_size", "statement_cache_size"):
            client[key] = value
        elif key not in _CLIENT_ONLY_OPTIONS:
            query.append((key, value))
    if not any(key == "sslmode" for key, _ in query) and _is_local(parts.hostname, query):
        # asyncpg's default ("prefer") negotiates TLS even over loopback, which doubles the cost of short queries;
        # a local server gets a plain connection unless the URL asks for TLS.
        query.append(("sslmode", "disable"))
    dsn = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query, safe="/"), ""))
    return dsn, client


def _is_local(hostname: str | None, query: list[tuple[str, str]]) -> bool:
    host = dict(query).get("host", hostname or "")
    return host in ("127.0.0.1", "localhost", "::1", "") or host.startswith("/")


def _int_option(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise AirflowConfigException(f"[database] sql_alchemy_conn: {name}={value!r} is not an integer") from None


def settings_from_config(config: AirflowConfigParser | None = None, *, dsn: str | None = None) -> ConnectionSettings:
    """Connection settings from the configuration; `dsn` overrides `sql_alchemy_conn` (used for the embedded server).

    Raises AirflowConfigException when no connection is configured and no `dsn` is given: callers that may start
    the embedded server use `resolve_settings()` instead.
    """
    cfg = config or default_conf
    url = dsn if dsn is not None else (cfg.get("database", "sql_alchemy_conn", fallback="") or "")
    if not url.strip():
        raise AirflowConfigException("[database] sql_alchemy_conn is not set")
    plain, client = normalize_dsn(url)
    pool_size = cfg.getint("database", "sql_alchemy_pool_size")
    overflow = cfg.getint("database", "sql_alchemy_max_overflow")
    if pool_size < 1:
        raise AirflowConfigException(f"[database] sql_alchemy_pool_size must be at least 1, not {pool_size}")
    pooled = cfg.getboolean("database", "sql_alchemy_pool_enabled")
    recycle = cfg.getint("database", "sql_alchemy_pool_recycle")
    cache = cfg.getint("database", "asyncpg_statement_cache_size", fallback="100")
    for name in ("prepared_statement_cache_size", "statement_cache_size"):
        if name in client:
            cache = _int_option(client[name], name)
    if cache < 0:
        raise AirflowConfigException(f"[database] asyncpg_statement_cache_size must be >= 0, not {cache}")
    timeout = float(_int_option(client["connect_timeout"], "connect_timeout")) if "connect_timeout" in client else None
    server_settings: dict[str, str] = {}
    schema = cfg.get("database", "sql_alchemy_schema", fallback="") or ""
    if schema:
        server_settings["search_path"] = schema
    return ConnectionSettings(
        dsn=plain,
        min_size=1 if pooled else 0,
        max_size=pool_size + max(overflow, 0) if pooled else pool_size,
        # Without pooling (Airflow's NullPool) connections are closed as soon as they are idle.
        max_inactive_connection_lifetime=float(recycle if recycle > 0 else 0) if pooled else 1.0,
        statement_cache_size=cache,
        connect_timeout=timeout,
        server_settings=server_settings,
        embedded=dsn is not None and not (cfg.get("database", "sql_alchemy_conn", fallback="") or "").strip(),
    )


def session_settings(work: ConnectionSettings, config: AirflowConfigParser | None = None) -> ConnectionSettings:
    """Settings of a DAG app's session connection (advisory locks and LISTEN, which live in a session).

    `[database] direct_conn` names a direct PostgreSQL URL for it when `sql_alchemy_conn` goes through pgbouncer in
    transaction mode; by default it is `sql_alchemy_conn` itself.
    """
    cfg = config or default_conf
    direct = (cfg.get("database", "direct_conn", fallback="") or "").strip()
    if not direct:
        return work
    plain, client = normalize_dsn(direct)
    cache = (
        _int_option(client["prepared_statement_cache_size"], "prepared_statement_cache_size")
        if ("prepared_statement_cache_size" in client)
        else 100
    )  # a direct session keeps its prepared statements
    timeout = float(_int_option(client["connect_timeout"], "connect_timeout")) if "connect_timeout" in client else None
    return ConnectionSettings(
        dsn=plain,
        min_size=1,
        max_size=1,
        statement_cache_size=cache,
        connect_timeout=timeout if timeout is not None else work.connect_timeout,
        server_settings=work.server_settings,
        embedded=work.embedded,
    )


def resolve_settings(
    config: AirflowConfigParser | None = None, *, max_connections: int | None = None
) -> ConnectionSettings:
    """Settings for the configured database, starting the embedded PostgreSQL when none is configured (sized for
    `max_connections` when it is started now)."""
    cfg = config or default_conf
    url = cfg.get("database", "sql_alchemy_conn", fallback="") or ""
    if url.strip():
        return settings_from_config(cfg)
    from riir_airflow.metastore.embedded import EmbeddedPostgres

    server = EmbeddedPostgres.for_home(cfg.airflow_home)
    return settings_from_config(cfg, dsn=server.ensure_running(max_connections=max_connections))


async def init_connection(conn: asyncpg.Connection) -> None:
    """Per-connection setup: json/jsonb as Python values (no session state beyond codecs, safe for pgbouncer)."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=decode_json, schema="pg_catalog")


# The C scanner json.loads ends in (typeshed types its argument wrongly: it takes the decoder).
_scan_json = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def decode_json(text: str) -> Any:
    """`json.loads` for the server's JSON text, a fifth of its cost: jsonb text has no whitespace around its value,
    so the scanner reads it directly (json.loads's wrapper, decoder and two whitespace matches are most of the time
    for the small values a listing decodes once per row). Anything else (a json column's own spacing, bad text)
    goes through json.loads, which also gives its error."""
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def _connect_kwargs(settings: ConnectionSettings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"statement_cache_size": settings.statement_cache_size}
    if settings.server_settings:
        kwargs["server_settings"] = settings.server_settings
    if settings.connect_timeout is not None:
        kwargs["timeout"] = settings.connect_timeout
    return kwargs


async def keep_session(conn: asyncpg.Connection) -> None:
    """A pool's reset that sends nothing: asyncpg has already rolled back an open transaction and dropped the
    connection's listener callbacks; its default reset would add a round trip per release (`SELECT
    pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`), as much PostgreSQL work as a small read."""


async def create_pool(settings: ConnectionSettings, *, reset_sessions: bool = True) -> asyncpg.Pool:
    """An asyncpg pool for the metastore. `reset_sessions=False` is for users that leave no session state on a
    connection they hand back (no session SET, advisory lock, LISTEN or WITH HOLD cursor): the broker."""
    pool = await asyncpg.create_pool(
        settings.dsn,
        min_size=settings.min_size,
        max_size=settings.max_size,
        max_inactive_connection_lifetime=settings.max_inactive_connection_lifetime,
        init=init_connection,
        reset=None if reset_sessions else keep_session,
        **_connect_kwargs(settings),
    )
    assert pool is not None
    return pool


async def connect(settings: ConnectionSettings) -> asyncpg.Connection:
    """One connection outside any pool (LISTEN, migrations, CLI)."""
    conn: asyncpg.Connection = await asyncpg.connect(settings.dsn, **_connect_kwargs(settings))
    await init_connection(conn)
    return conn


@asynccontextmanager
async def open_pool(
    config: AirflowConfigParser | None = None, *, require_schema: bool = True
) -> AsyncIterator[asyncpg.Pool]:
    """The metastore pool for a long-running process (app, broker): configured database or embedded server.

    With `require_schema`, refuses to start on a database whose schema is missing or outdated, saying which
    command fixes it, instead of failing later on the first query.
    """
    from riir_airflow.metastore.migrate import check

    settings = await asyncio.to_thread(resolve_settings, config)  # may start the embedded server (initdb: seconds)
    pool = await create_pool(settings)
    try:
        if require_schema:
            async with pool.acquire() as conn:
                status = await check(conn)
            if not status.up_to_date:
                raise AirflowConfigException(
                    f"The metastore at {settings.display_dsn} is not at this version's schema "
                    f"(applied {status.applied}, pending {[m.version for m in status.pending]}, changed "
                    f"{status.changed}, newer {status.unknown}). Run `riir-airflow db migrate`."
                )
        yield pool
    finally:
        await pool.close()
