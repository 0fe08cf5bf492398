"""Connection: how to reach an external system; parsed from URIs or JSON exactly as Airflow does."""

from __future__ import annotations

import contextlib
import json
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from riir_airflow.authoring import secrets_backends as secrets
from riir_airflow.exceptions import AirflowException, AirflowNotFoundException
from riir_airflow.secrets_masker import mask_secret

EXTRA_KEY = "__extra__"


def _normalize_conn_type(conn_type: str) -> str:
    if conn_type == "postgresql":
        return "postgres"
    return conn_type.replace("-", "_")


def _hostname(parts: Any) -> str:
    hostname = unquote(parts.hostname or "")
    if "/" in hostname:
        hostname = parts.netloc
        if "@" in hostname:
            hostname = hostname.rsplit("@", 1)[1]
        if ":" in hostname:
            hostname = hostname.split(":", 1)[0]
        hostname = unquote(hostname)
    return hostname


@dataclass
class Connection:
    """A connection's fields; `extra` is a JSON string."""

    conn_id: str
    conn_type: str | None = None
    description: str | None = None
    host: str | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = None
    port: int | None = None
    extra: str | dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.extra, dict):
            self.extra = json.dumps(self.extra)

    @property
    def extra_dejson(self) -> dict[str, Any]:
        if not self.extra:
            return {}
        try:
            value = json.loads(self.extra) if isinstance(self.extra, str) else self.extra
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    @classmethod
    def from_uri(cls, uri: str, conn_id: str = "") -> Connection:
        conn = cls(conn_id=conn_id)
        if uri.count("://") > 2:
            raise AirflowException(f"Invalid connection string: {uri}.")
        with_protocol = uri.count("://") == 2
        conn_type = urlsplit(uri).scheme
        conn.conn_type = _normalize_conn_type(conn_type)
        rest = uri.replace(f"{conn_type}://", "" if with_protocol else "//", 1)
        if with_protocol:
            first = rest.split("://", 1)[0]
            if "@" in first or ":" in first:
                raise AirflowException(f"Invalid connection string: {uri}.")
        parts = urlsplit(rest)
        protocol = parts.scheme if with_protocol else None
        host = _hostname(parts)
        conn.host = f"{protocol}://{host}" if protocol else host
        schema = parts.path[1:]
        conn.schema = unquote(schema) if schema else schema
        conn.login = unquote(parts.username) if parts.username else parts.username
        conn.password = unquote(parts.password) if parts.password else parts.password
        conn.port = parts.port
        if parts.query:
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            conn.extra = query[EXTRA_KEY] if EXTRA_KEY in query else json.dumps(query)
        return conn

    @classmethod
    def from_json(cls, value: str, conn_id: str = "") -> Connection:
        kwargs = json.loads(value)
        extra = kwargs.pop("extra", None)
        if extra is not None and not isinstance(extra, str):
            extra = json.dumps(extra)
        if kwargs.get("conn_type"):
            kwargs["conn_type"] = _normalize_conn_type(kwargs["conn_type"])
        port = kwargs.pop("port", None)
        if port is not None:
            try:
                port = int(port)
            except ValueError:
                raise ValueError(f"Expected integer value for `port`, but got {port!r} instead.") from None
        return cls(conn_id=conn_id, port=port, extra=extra, **kwargs)

    def get_uri(self) -> str:
        if self.conn_type and "_" in self.conn_type:
            warnings.warn(
                f"Connection schemes (type: {self.conn_type}) shall not contain '_' according to RFC3986.",
                UserWarning,
                stacklevel=2,
            )
        uri = f"{self.conn_type.lower().replace('_', '-')}://" if self.conn_type else "//"
        if self.host and "://" in self.host:
            protocol, host = self.host.split("://", 1)
            if protocol:
                uri += f"{protocol}://"
            host_to_use: str | None = host
        else:
            host_to_use = self.host
        authority = ""
        if self.login is not None:
            authority += quote(self.login, safe="")
        if self.password is not None:
            authority += ":" + quote(self.password, safe="")
        if authority:
            authority += "@"
            uri += authority
        host_block = quote(host_to_use, safe="") if host_to_use else ""
        if self.port:
            host_block += f"@:{self.port}" if not host_block and not authority else f":{self.port}"
        if self.schema:
            host_block += f"/{quote(self.schema, safe='')}"
        uri += host_block
        if self.extra:
            try:
                query: str | None = urlencode(self.extra_dejson)
            except TypeError:
                query = None
            prefix = "?" if self.schema else "/?"
            if query and self.extra_dejson == dict(parse_qsl(query, keep_blank_values=True)):
                uri += prefix + query
            else:
                uri += prefix + urlencode({EXTRA_KEY: self.extra})
        return uri

    def to_dict(self, *, prune_empty: bool = False, validate: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "conn_id": self.conn_id,
            "conn_type": self.conn_type,
            "description": self.description,
            "host": self.host,
            "login": self.login,
            "password": self.password,
            "schema": self.schema,
            "port": self.port,
        }
        if self.extra_dejson:
            data["extra"] = self.extra_dejson
        if prune_empty:
            data = {k: v for k, v in data.items() if v not in (None, "", {})}
        return data

    def as_json(self) -> str:
        data = self.to_dict(prune_empty=True)
        data.pop("conn_id", None)
        return json.dumps(data)

    @classmethod
    def parse(cls, conn_id: str, value: str, *, source: str) -> Connection:
        """A connection from its serialized form (JSON or URI); a bad value is an error naming the connection
        and where it came from."""
        value = value.strip()
        try:
            if value.startswith("{"):
                return cls.from_json(value, conn_id=conn_id)
            if "://" not in value:
                raise ValueError("expected a URI such as 'postgres://user:password@host:5432/schema' or a JSON object")
            conn = cls.from_uri(value, conn_id=conn_id)
        except (ValueError, TypeError, AirflowException) as err:
            raise AirflowException(f"Connection {conn_id!r} (from {source}) is not a valid connection: {err}") from None
        return conn

    @classmethod
    def get(cls, conn_id: str) -> Connection:
        found = secrets.find_connection(conn_id) if isinstance(conn_id, str) and conn_id else None
        if found is None:
            raise AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined")
        value, source = found
        conn: Connection = cls.parse(conn_id, value, source=source) if isinstance(value, str) else value
        # As Airflow's task SDK: the password and sensitive extra fields are masked in logs from now on.
        mask_secret(conn.password)
        with contextlib.suppress(ValueError, TypeError, AirflowException):
            mask_secret(conn.extra_dejson)
        return conn

    def get_hook(self, *, hook_params: dict[str, Any] | None = None) -> Any:
        """An instance of the hook the installed providers register for this connection's type."""
        from riir_airflow.plugins.providers_manager import ProvidersManager

        try:
            hook_class = ProvidersManager().hook_class(self.conn_type or "")
        except KeyError:
            raise AirflowException(
                f'Unknown hook type "{self.conn_type}" (connection {self.conn_id!r}): no installed provider '
                "registers it; install one with `riir-airflow providers install`"
            ) from None
        attr = getattr(hook_class, "conn_name_attr", None)
        kwargs = {attr: self.conn_id} if attr else {}
        return hook_class(**kwargs, **(hook_params or {}))

    def test_connection(self) -> tuple[bool, str]:
        """Runs the hook's own `test_connection`, as Airflow's Connection.test_connection does; while it runs, the
        hook finds this connection by its id even when no backend has it (a connection being created)."""
        with secrets.preset_connection(self):
            try:
                hook = self.get_hook()
            except AirflowException as err:
                return False, str(err)
            if not getattr(hook, "test_connection", None):
                return False, f"Hook {type(hook).__name__} doesn't implement or inherit test_connection method"
            try:
                status, message = hook.test_connection()
            except Exception as err:
                return False, str(err)
            return bool(status), str(message)
