"""Variables and Connections: encrypted at rest with fernet_key, env vars first, Airflow's URI format."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet

from riir_airflow.exceptions import AirflowException
from riir_airflow.metastore import secrets as s
from riir_airflow.metastore.fernet import fernet_from_key
from riir_airflow.metastore.records import ConnectionRecord

sys.path.insert(0, str(Path(__file__).parents[2] / "compat-tests"))
from airflow_env import airflow_env, airflow_python

KEY = Fernet.generate_key().decode()
CIPHER = fernet_from_key(KEY)
PLAIN = fernet_from_key("")


@pytest.mark.postgres
async def test_variables_encrypted_at_rest(db: asyncpg.Pool) -> None:
    await s.set_variable(db, "api_token", "t0ps3cret", description="token", cipher=CIPHER)
    async with db.acquire() as conn:
        raw = await conn.fetchrow("SELECT val, is_encrypted FROM variable WHERE key = 'api_token'")
    assert raw["is_encrypted"] and "t0ps3cret" not in raw["val"]
    assert Fernet(KEY).decrypt(raw["val"]) == b"t0ps3cret"  # Airflow's format: a token of the UTF-8 text
    record = await s.get_variable_record(db, "api_token", cipher=CIPHER)
    assert record is not None and record.val == "t0ps3cret" and record.description == "token"
    with pytest.raises(AirflowException, match="fernet_key is not set"):
        await s.get_variable_record(db, "api_token", cipher=PLAIN)
    with pytest.raises(AirflowException, match="Can't decrypt variable 'api_token'"):
        await s.get_variable_record(db, "api_token", cipher=fernet_from_key(Fernet.generate_key().decode()))


@pytest.mark.postgres
async def test_variables_plain_without_key_and_listing(db: asyncpg.Pool) -> None:
    await s.set_variable(db, "a", "1", cipher=PLAIN)
    await s.set_variable(db, "b", '{"x": 2}', cipher=CIPHER)
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT val FROM variable WHERE key = 'a'") == "1"
    page = await s.list_variables(db, cipher=CIPHER)
    assert [(v.key, v.val, v.is_encrypted) for v in page.items] == [("a", "1", False), ("b", '{"x": 2}', True)]
    assert (await s.list_variables(db, key_pattern="b", cipher=CIPHER)).total_entries == 1
    assert await s.delete_variable(db, "a") and not await s.delete_variable(db, "a")


@pytest.mark.postgres
async def test_get_variable_env_first_then_metastore(db: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", KEY)
    await s.set_variable(db, "Region", "eu-west-1")
    await s.set_variable(db, "cfg", '{"n": 3}')
    assert await s.get_variable(db, "Region") == "eu-west-1"
    assert await s.get_variable(db, "cfg", deserialize_json=True) == {"n": 3}
    assert await s.get_variable(db, "missing", default="dflt") == "dflt"
    assert await s.get_variable(db, "Region", environ={"AIRFLOW_VAR_REGION": "us-east-2"}) == "us-east-2"
    assert await s.get_variable(None, "Region", environ={}) is None


@pytest.mark.postgres
async def test_connections_encrypted_at_rest(db: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", KEY)
    conn_in = ConnectionRecord(conn_id="warehouse", conn_type="postgres", host="db", schema="dw", login="etl",
                               password="pw!", port=5432, extra='{"sslmode": "require"}', description="dw")  # fmt: skip
    await s.set_connection(db, conn_in)
    async with db.acquire() as conn:
        raw = await conn.fetchrow("SELECT * FROM connection WHERE conn_id = 'warehouse'")
    assert raw["is_encrypted"] and raw["is_extra_encrypted"]
    assert (
        Fernet(KEY).decrypt(raw["password"]) == b"pw!"
        and Fernet(KEY).decrypt(raw["extra"]) == b'{"sslmode": "require"}'
    )
    out = await s.get_connection(db, "warehouse", environ={})
    assert out == dataclasses.replace(conn_in, is_encrypted=True, is_extra_encrypted=True)
    page = await s.list_connections(db)
    assert [c.conn_id for c in page.items] == ["warehouse"] and page.items[0].password == "pw!"
    assert await s.delete_connection(db, "warehouse") and await s.get_connection(db, "warehouse", environ={}) is None


@pytest.mark.postgres
async def test_get_connection_env_first(db: asyncpg.Pool) -> None:
    await s.set_connection(db, ConnectionRecord("api", "http", host="metastore.example"), cipher=PLAIN)
    env = {"AIRFLOW_CONN_API": "http://user:p%40ss@env.example:8080/v1?timeout=5"}
    from_env = await s.get_connection(db, "api", environ=env)
    assert from_env is not None and (from_env.host, from_env.password, from_env.port) == ("env.example", "p@ss", 8080)
    as_json = {"AIRFLOW_CONN_API": json.dumps({"conn_type": "http", "host": "j.example", "extra": {"a": 1}})}
    from_json = await s.get_connection(db, "api", environ=as_json)
    assert from_json is not None and from_json.host == "j.example" and from_json.extra == '{"a": 1}'
    from_db = await s.get_connection(db, "api", environ={})
    assert from_db is not None and from_db.host == "metastore.example"


def test_connection_uri_round_trip() -> None:
    original = ConnectionRecord("c", "google_cloud_platform", host="h", schema="s/x", login="a b", password="p:w",
                                port=1, extra='{"k": "v"}')  # fmt: skip
    parsed = s.connection_from_uri("c", s.connection_to_uri(original))
    assert parsed == original


URIS = [
    "postgres://user:pass@host:5432/schema",
    "postgresql://u@h/db?sslmode=require&connect_timeout=10",
    "mysql://login:p%2Fw%40rd@host.example/db",
    "google-cloud-platform://?extra__google_cloud_platform__project=p",
    "http://https%3A%2F%2Fexample.com%2Fpath",
    "http://https://example.com:443/path",
    "aws://?__extra__=%7B%22region_name%22%3A+%22eu-west-1%22%7D",
    "sqlite:///%2Ftmp%2Fdb.sqlite",
    "ssh://user@Host.Example.COM:2222",
    "redis://:only-password@cache:6379/0",
    "fs://?path=%2Fdata&flag=true&n=3",
]

_REFERENCE = """
import json, sys
from airflow.models.connection import Connection
out = []
for uri in json.loads(sys.argv[1]):
    c = Connection(conn_id="c", uri=uri)
    out.append([c.conn_type, c.host, c.schema, c.login, c.password, c.port, c.extra])
print(json.dumps(out))
"""


@pytest.mark.compat
def test_connection_uris_parse_like_airflow() -> None:
    with tempfile.TemporaryDirectory() as home:
        done = subprocess.run([str(airflow_python()), "-c", _REFERENCE, json.dumps(URIS)], env=airflow_env(Path(home)),
                              capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    expected = json.loads(done.stdout.strip().splitlines()[-1])
    for uri, theirs in zip(URIS, expected, strict=True):
        c = s.connection_from_uri("c", uri)
        ours = [c.conn_type, c.host, c.schema, c.login, c.password, c.port, c.extra]
        # Airflow keeps "" where we keep None for an absent schema; compare the values, not the empty kinds.
        assert [v or None for v in ours] == [v or None for v in theirs], uri


@pytest.mark.postgres
async def test_rotate_fernet_key_reencrypts_every_secret(db: asyncpg.Pool) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old = fernet_from_key(old_key)
    await s.set_variable(db, "token", "v-secret", cipher=old)
    await s.set_variable(db, "plain", "v-plain", cipher=PLAIN)
    await s.set_connection(db, ConnectionRecord("pg", "postgres", password="c-secret", extra='{"k": 1}'), cipher=old)
    rotated = await s.rotate_fernet_key(db, cipher=fernet_from_key(f"{new_key},{old_key}"))
    assert rotated == (1, 1)
    new_only = fernet_from_key(new_key)
    variable = await s.get_variable_record(db, "token", cipher=new_only)
    connection = await s.get_connection_record(db, "pg", cipher=new_only)
    assert variable is not None and variable.val == "v-secret"
    assert connection is not None and (connection.password, connection.extra) == ("c-secret", '{"k": 1}')
    plain = await s.get_variable_record(db, "plain", cipher=new_only)
    assert plain is not None and plain.val == "v-plain" and not plain.is_encrypted
    with pytest.raises(AirflowException, match="Can't decrypt variable 'token'"):
        await s.get_variable_record(db, "token", cipher=old)
