"""Variables and Connections: stored in the metastore (secrets encrypted with `[core] fernet_key` when it is set),
read the way Airflow's tasks read them: `AIRFLOW_VAR_{KEY}` / `AIRFLOW_CONN_{CONN_ID}` environment variables first,
then the metastore.

Encrypted columns are exactly Airflow's: `variable.val` (is_encrypted), `connection.password` (is_encrypted) and
`connection.extra` (is_extra_encrypted), each a Fernet token of the UTF-8 text, so a table copied from an Airflow
database with the same fernet_key reads back, and the other way round.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from riir_airflow.exceptions import AirflowException
from riir_airflow.metastore.fernet import Cipher, InvalidToken, NullFernet, get_fernet
from riir_airflow.metastore.queries import Db, _Filters, transaction
from riir_airflow.metastore.records import ConnectionRecord, Page, VariableRecord

VAR_ENV_PREFIX = "AIRFLOW_VAR_"
CONN_ENV_PREFIX = "AIRFLOW_CONN_"


def _encrypt(cipher: Cipher, value: str | None) -> tuple[str | None, bool]:
    if value is None:
        return None, False
    return cipher.encrypt(value.encode()).decode(), cipher.is_encrypted


def _decrypt(cipher: Cipher, value: str | None, encrypted: bool, what: str) -> str | None:
    if value is None or not encrypted:
        return value
    if isinstance(cipher, NullFernet):
        raise AirflowException(f"{what} is encrypted but [core] fernet_key is not set; cannot decrypt it")
    try:
        return cipher.decrypt(value.encode()).decode()
    except InvalidToken:
        raise AirflowException(f"Can't decrypt {what}, invalid token or value (wrong [core] fernet_key?)") from None


async def rotate_fernet_key(db: Db, *, cipher: Cipher | None = None) -> tuple[int, int]:
    """Re-encrypt every encrypted variable value and connection password/extra with the first key of
    `[core] fernet_key` (Airflow's `rotate-fernet-key`); one transaction. Returns (variables, connections) rotated."""
    fernet = cipher or get_fernet()
    if isinstance(fernet, NullFernet):
        return 0, 0

    def rotate(value: str | None, encrypted: bool, what: str) -> str | None:
        if value is None or not encrypted:
            return value
        try:
            return fernet.rotate(value.encode()).decode()
        except InvalidToken:
            raise AirflowException(f"Can't decrypt {what} with any key of [core] fernet_key") from None

    async with transaction(db) as conn:
        variables = await conn.fetch("SELECT key, val FROM variable WHERE is_encrypted FOR UPDATE")
        for row in variables:
            new = rotate(row["val"], True, f"variable {row['key']!r}")
            await conn.execute("UPDATE variable SET val = $2 WHERE key = $1", row["key"], new)
        connections = await conn.fetch(
            "SELECT conn_id, password, extra, is_encrypted, is_extra_encrypted FROM connection "
            "WHERE is_encrypted OR is_extra_encrypted FOR UPDATE"
        )
        for row in connections:
            cid = row["conn_id"]
            password = rotate(row["password"], row["is_encrypted"], f"password of connection {cid!r}")
            extra = rotate(row["extra"], row["is_extra_encrypted"], f"extra of connection {cid!r}")
            await conn.execute(
                "UPDATE connection SET password = $2, extra = $3 WHERE conn_id = $1", cid, password, extra
            )
    return len(variables), len(connections)


# --- variables -----------------------------------------------------------------------------------------------------
async def set_variable(
    db: Db, key: str, value: str, *, description: str | None = None, cipher: Cipher | None = None
) -> None:
    """Create or replace a variable; the value is encrypted when a fernet_key is configured."""
    stored, encrypted = _encrypt(cipher or get_fernet(), value)
    async with transaction(db) as conn:
        await conn.execute(
            "INSERT INTO variable (key, val, description, is_encrypted) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO "
            "UPDATE SET val = EXCLUDED.val, description = EXCLUDED.description, is_encrypted = EXCLUDED.is_encrypted",
            key, stored, description, encrypted,
        )  # fmt: skip


async def get_variable_record(db: Db, key: str, *, cipher: Cipher | None = None) -> VariableRecord | None:
    """The metastore's variable (decrypted), ignoring environment variables."""
    async with transaction(db) as conn:
        row = await conn.fetchrow("SELECT key, val, description, is_encrypted FROM variable WHERE key = $1", key)
    if row is None:
        return None
    val = _decrypt(cipher or get_fernet(), row["val"], row["is_encrypted"], f"variable {key!r}")
    return VariableRecord(row["key"], val, row["description"], row["is_encrypted"])


async def delete_variable(db: Db, key: str) -> bool:
    async with transaction(db) as conn:
        status = await conn.execute("DELETE FROM variable WHERE key = $1", key)
    return status.endswith(" 1")


async def list_variables(
    db: Db, *, key_pattern: str | None = None, limit: int = 50, offset: int = 0, cipher: Cipher | None = None
) -> Page[VariableRecord]:
    filters = _Filters()
    if key_pattern:
        filters.add("key ILIKE {}", f"%{key_pattern}%")
    fernet = cipher or get_fernet()
    async with transaction(db) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM variable {filters.where()}", *filters.args)
        rows = await conn.fetch(
            f"SELECT * FROM variable {filters.where()} ORDER BY key {filters.page(limit, offset)}", *filters.args
        )
    items = [
        VariableRecord(r["key"], _decrypt(fernet, r["val"], r["is_encrypted"], f"variable {r['key']!r}"),
                       r["description"], r["is_encrypted"])
        for r in rows
    ]  # fmt: skip
    return Page(items, int(total))


async def get_variable(
    db: Db | None,
    key: str,
    default: Any = None,
    *,
    deserialize_json: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """A variable's value as a task sees it: `AIRFLOW_VAR_{KEY}` first, then the metastore, else `default`."""
    env = os.environ if environ is None else environ
    value: str | None = env.get(VAR_ENV_PREFIX + key.upper())
    if value is None and db is not None:
        record = await get_variable_record(db, key)
        value = None if record is None else record.val
    if value is None:
        return default
    return json.loads(value) if deserialize_json else value


# --- connections ---------------------------------------------------------------------------------------------------
async def set_connection(db: Db, connection: ConnectionRecord, *, cipher: Cipher | None = None) -> None:
    """Create or replace a connection; password and extra are encrypted when a fernet_key is configured."""
    fernet = cipher or get_fernet()
    password, pw_encrypted = _encrypt(fernet, connection.password)
    extra, extra_encrypted = _encrypt(fernet, connection.extra)
    async with transaction(db) as conn:
        await conn.execute(
            """
            INSERT INTO connection (conn_id, conn_type, description, host, schema, login, password, port, extra,
                is_encrypted, is_extra_encrypted)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (conn_id) DO UPDATE SET conn_type = EXCLUDED.conn_type, description = EXCLUDED.description,
                host = EXCLUDED.host, schema = EXCLUDED.schema, login = EXCLUDED.login, password = EXCLUDED.password,
                port = EXCLUDED.port, extra = EXCLUDED.extra, is_encrypted = EXCLUDED.is_encrypted,
                is_extra_encrypted = EXCLUDED.is_extra_encrypted
            """,
            connection.conn_id, connection.conn_type, connection.description, connection.host, connection.schema,
            connection.login, password, connection.port, extra, pw_encrypted, extra_encrypted,
        )  # fmt: skip


async def get_connection_record(db: Db, conn_id: str, *, cipher: Cipher | None = None) -> ConnectionRecord | None:
    """The metastore's connection (decrypted), ignoring environment variables."""
    async with transaction(db) as conn:
        row = await conn.fetchrow("SELECT * FROM connection WHERE conn_id = $1", conn_id)
    if row is None:
        return None
    fernet = cipher or get_fernet()
    return ConnectionRecord(
        conn_id=row["conn_id"],
        conn_type=row["conn_type"],
        description=row["description"],
        host=row["host"],
        schema=row["schema"],
        login=row["login"],
        password=_decrypt(fernet, row["password"], row["is_encrypted"], f"password of connection {conn_id!r}"),
        port=row["port"],
        extra=_decrypt(fernet, row["extra"], row["is_extra_encrypted"], f"extra of connection {conn_id!r}"),
        is_encrypted=row["is_encrypted"],
        is_extra_encrypted=row["is_extra_encrypted"],
    )


async def delete_connection(db: Db, conn_id: str) -> bool:
    async with transaction(db) as conn:
        status = await conn.execute("DELETE FROM connection WHERE conn_id = $1", conn_id)
    return status.endswith(" 1")


async def list_connections(
    db: Db, *, conn_id_pattern: str | None = None, limit: int = 50, offset: int = 0, cipher: Cipher | None = None
) -> Page[ConnectionRecord]:
    filters = _Filters()
    if conn_id_pattern:
        filters.add("conn_id ILIKE {}", f"%{conn_id_pattern}%")
    async with transaction(db) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM connection {filters.where()}", *filters.args)
        ids = await conn.fetch(
            f"SELECT conn_id FROM connection {filters.where()} ORDER BY conn_id {filters.page(limit, offset)}",
            *filters.args,
        )
    items = [await get_connection_record(db, r["conn_id"], cipher=cipher) for r in ids]
    return Page([item for item in items if item is not None], int(total))


def connection_from_uri(conn_id: str, uri: str) -> ConnectionRecord:
    """Airflow's connection URI: `type://login:password@host:port/schema?extra=...` (`-` in the type means `_`).

    Query parameters become the JSON `extra` (values that parse as JSON are stored parsed); `__extra__` holds a
    whole extra instead. A host with its own protocol (`http://https://host`) keeps it, as in Airflow.
    """
    if uri.count("://") > 2:
        raise AirflowException(f"Invalid connection string for {conn_id!r}.")
    scheme = urlsplit(uri).scheme
    conn_type = scheme.replace("-", "_")
    if conn_type == "postgresql":
        conn_type = "postgres"  # Airflow's alias
    rest = uri.replace(f"{scheme}://", "", 1)
    protocol = None
    if "://" in rest:
        protocol, _, after = rest.partition("://")
        if "@" in protocol or ":" in protocol:
            raise AirflowException(f"Invalid connection string for {conn_id!r}.")
        rest = after
    parts = urlsplit("//" + rest)
    host = unquote(parts.hostname or "")
    if "/" in host:  # an encoded path as host (e.g. a socket folder): keep its case and slashes
        host = unquote(parts.netloc.rsplit("@", 1)[-1].split(":", 1)[0])
    if host and protocol:
        host = f"{protocol}://{host}"
    extra: str | None = None
    if parts.query:
        query: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        if "__extra__" in query:
            extra = query["__extra__"]
        else:
            for name, value in query.items():
                if value:
                    with contextlib.suppress(json.JSONDecodeError):
                        query[name] = json.loads(value)
            extra = json.dumps(query)
    return ConnectionRecord(
        conn_id=conn_id,
        conn_type=conn_type,
        host=host or None,
        schema=unquote(parts.path[1:]) if parts.path[1:] else None,
        login=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        port=parts.port,
        extra=extra,
    )


def connection_to_uri(connection: ConnectionRecord) -> str:
    """The inverse of `connection_from_uri` (for AIRFLOW_CONN_* values)."""
    auth = ""
    if connection.login or connection.password:
        auth = quote(connection.login or "", safe="")
        if connection.password:
            auth += ":" + quote(connection.password, safe="")
        auth += "@"
    host = quote(connection.host or "", safe="")
    port = f":{connection.port}" if connection.port else ""
    path = "/" + quote(connection.schema, safe="") if connection.schema else ""
    uri = f"{connection.conn_type.replace('_', '-')}://{auth}{host}{port}{path}"
    if connection.extra:
        try:
            extra = json.loads(connection.extra)
        except json.JSONDecodeError:
            extra = None
        if isinstance(extra, dict) and all(isinstance(v, str) for v in extra.values()):
            uri += "?" + urlencode(extra)
        else:
            uri += "?" + urlencode({"__extra__": connection.extra})
    return uri


def _connection_from_env(conn_id: str, value: str) -> ConnectionRecord:
    text = value.strip()
    if text.startswith("{"):  # Airflow also accepts a JSON object with the connection's fields
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise AirflowException(f"{CONN_ENV_PREFIX}{conn_id.upper()} is not valid JSON: {err}") from err
        extra = data.get("extra")
        return ConnectionRecord(
            conn_id=conn_id,
            conn_type=data.get("conn_type") or "",
            description=data.get("description"),
            host=data.get("host"),
            schema=data.get("schema"),
            login=data.get("login"),
            password=data.get("password"),
            port=int(data["port"]) if data.get("port") is not None else None,
            extra=json.dumps(extra) if isinstance(extra, dict) else extra,
        )
    return connection_from_uri(conn_id, text)


async def get_connection(
    db: Db | None, conn_id: str, *, environ: Mapping[str, str] | None = None
) -> ConnectionRecord | None:
    """A connection as a task sees it: `AIRFLOW_CONN_{CONN_ID}` (URI or JSON) first, then the metastore."""
    env = os.environ if environ is None else environ
    value = env.get(CONN_ENV_PREFIX + conn_id.upper())
    if value is not None:
        return _connection_from_env(conn_id, value)
    if db is None:
        return None
    return await get_connection_record(db, conn_id)
