"""sql_alchemy_conn in the forms Airflow users write, pool sizing, pgbouncer settings."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from riir_airflow.config import AirflowConfigParser
from riir_airflow.exceptions import AirflowConfigException
from riir_airflow.metastore.pool import (
    connect,
    create_pool,
    decode_json,
    normalize_dsn,
    resolve_settings,
    settings_from_config,
)


def _conf(tmp_path: Path, **env: str) -> AirflowConfigParser:
    return AirflowConfigParser(environ={"AIRFLOW_HOME": str(tmp_path), **env})


@pytest.mark.parametrize(
    ("url", "dsn", "client"),
    [
        ("postgresql://u:p@db:5432/airflow", "postgresql://u:p@db:5432/airflow", {}),
        ("postgresql+psycopg2://u:p@db/airflow", "postgresql://u:p@db/airflow", {}),
        ("postgresql+psycopg://u@db/airflow", "postgresql://u@db/airflow", {}),
        ("postgresql+asyncpg://u@db/airflow", "postgresql://u@db/airflow", {}),
        ("postgres://u@db/airflow", "postgresql://u@db/airflow", {}),
        ("postgres+psycopg2://u@db/airflow", "postgresql://u@db/airflow", {}),
        ("postgresql://u@db/airflow?sslmode=require&application_name=x",
         "postgresql://u@db/airflow?sslmode=require&application_name=x", {}),
        ("postgresql://u@db/airflow?connect_timeout=5&keepalives=1&prepared_statement_cache_size=0",
         "postgresql://u@db/airflow", {"connect_timeout": "5", "prepared_statement_cache_size": "0"}),
        # A local server (unix socket or loopback) gets a plain connection unless TLS is asked for.
        ("postgresql://u@127.0.0.1:5432/airflow", "postgresql://u@127.0.0.1:5432/airflow?sslmode=disable", {}),
        ("postgresql://u@localhost/airflow?sslmode=require", "postgresql://u@localhost/airflow?sslmode=require", {}),
        ("postgresql://u@/airflow?host=/var/run/postgresql",
         "postgresql://u@/airflow?host=/var/run/postgresql&sslmode=disable",
         {}),
        ("  postgresql://u%40corp:p%2Fw@db/airflow  ", "postgresql://u%40corp:p%2Fw@db/airflow", {}),
    ],
)  # fmt: skip
def test_postgres_urls_are_normalized(url: str, dsn: str, client: dict[str, str]) -> None:
    assert normalize_dsn(url) == (dsn, client)


@pytest.mark.parametrize("url", ["sqlite:////tmp/airflow.db", "mysql+mysqldb://u:p@db/airflow", "mssql://x", "db"])
def test_other_databases_are_refused_clearly(url: str) -> None:
    with pytest.raises(AirflowConfigException, match=r"PostgreSQL only.*remove it to use the embedded PostgreSQL"):
        normalize_dsn(url)


def test_unknown_driver_is_refused() -> None:
    with pytest.raises(AirflowConfigException, match="unknown PostgreSQL driver 'mystery'"):
        normalize_dsn("postgresql+mystery://db/x")


def test_pool_sizing_and_options_from_config(tmp_path: Path) -> None:
    conf = _conf(
        tmp_path,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql://u:secret@db/airflow?connect_timeout=3",
        AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE="4",
        AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW="6",
        AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_RECYCLE="60",
        AIRFLOW__DATABASE__SQL_ALCHEMY_SCHEMA="airflow_schema",
        AIRFLOW__DATABASE__ASYNCPG_STATEMENT_CACHE_SIZE="0",
    )
    settings = settings_from_config(conf)
    assert (settings.min_size, settings.max_size, settings.max_inactive_connection_lifetime) == (1, 10, 60.0)
    assert settings.statement_cache_size == 0 and settings.connect_timeout == 3.0
    assert settings.server_settings == {"search_path": "airflow_schema"}
    assert "secret" not in settings.display_dsn and "***" in settings.display_dsn
    assert not settings.embedded


def test_airflow_defaults_give_airflows_pool_size(tmp_path: Path) -> None:
    settings = settings_from_config(_conf(tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql://db/x"))
    assert (settings.max_size, settings.statement_cache_size, settings.max_inactive_connection_lifetime) == (
        15, 100, 1800.0)  # fmt: skip


def test_pool_disabled_closes_idle_connections(tmp_path: Path) -> None:
    conf = _conf(tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql://db/x",
                 AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_ENABLED="False")  # fmt: skip
    settings = settings_from_config(conf)
    assert settings.min_size == 0 and settings.max_inactive_connection_lifetime == 1.0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("SQL_ALCHEMY_POOL_SIZE", "many", 'Please check "sql_alchemy_pool_size" key in "database" section'),
        ("SQL_ALCHEMY_POOL_SIZE", "0", r"\[database\] sql_alchemy_pool_size must be at least 1"),
        ("SQL_ALCHEMY_POOL_ENABLED", "yes please", 'Please check "sql_alchemy_pool_enabled" key'),
        ("ASYNCPG_STATEMENT_CACHE_SIZE", "-1", "asyncpg_statement_cache_size must be >= 0"),
    ],
)
def test_bad_pool_values_name_the_key(tmp_path: Path, key: str, value: str, message: str) -> None:
    conf = _conf(
        tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql://db/x", **{f"AIRFLOW__DATABASE__{key}": value}
    )
    with pytest.raises(AirflowConfigException, match=message):
        settings_from_config(conf)


def test_bad_connect_timeout_in_url(tmp_path: Path) -> None:
    conf = _conf(tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql://db/x?connect_timeout=soon")
    with pytest.raises(AirflowConfigException, match="connect_timeout='soon' is not an integer"):
        settings_from_config(conf)


@pytest.mark.postgres
async def test_pool_works_without_statement_cache(pg_dsn: str, tmp_path: Path) -> None:
    url = "postgresql+psycopg2" + pg_dsn.removeprefix("postgresql") + "?application_name=riir-test"
    conf = _conf(tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=url, AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE="2",
                 AIRFLOW__DATABASE__ASYNCPG_STATEMENT_CACHE_SIZE="0")  # fmt: skip
    settings = resolve_settings(conf)
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            for _ in range(3):
                assert await conn.fetchval("SELECT $1::jsonb", {"a": [1]}) == {"a": [1]}
            # No named prepared statements were left on the server session (safe behind pgbouncer).
            assert await conn.fetchval("SELECT count(*) FROM pg_prepared_statements") == 0
            assert await conn.fetchval("SELECT current_setting('application_name')") == "riir-test"
        assert pool.get_max_size() == 12
    finally:
        await pool.close()
    single = await connect(settings)
    try:
        assert await single.fetchval("SELECT '[1, 2]'::json") == [1, 2]
    finally:
        await single.close()


@pytest.mark.postgres
async def test_statement_cache_is_used_by_default(pg_dsn: str, tmp_path: Path) -> None:
    settings = settings_from_config(_conf(tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=pg_dsn))
    conn = await connect(settings)
    try:
        for _ in range(2):
            await conn.fetchval("SELECT 1 + $1::int", 1)
        assert await conn.fetchval("SELECT count(*) FROM pg_prepared_statements") > 0
    finally:
        await conn.close()
    assert isinstance(conn, asyncpg.Connection)


@pytest.mark.postgres
async def test_open_pool_refuses_an_unmigrated_database(pg_dsn: str, tmp_path: Path) -> None:
    from riir_airflow.metastore.migrate import migrate
    from riir_airflow.metastore.pool import open_pool

    conf = _conf(tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=pg_dsn)
    with pytest.raises(AirflowConfigException, match=r"pending \[1[,\]].*Run `riir-airflow db migrate`"):
        async with open_pool(conf):
            pass
    async with open_pool(conf, require_schema=False) as pool, pool.acquire() as conn:
        await migrate(conn)
    async with open_pool(conf) as pool:
        assert await pool.fetchval("SELECT count(*) FROM pool") == 1


@pytest.mark.parametrize(
    "text",
    ["{}", '{"a": [1, 2.5, "x"], "b": null}', "null", '"s"', "12", " {} ", '{"a": 1}\n', "NaN", "[]", '"\\u00e9"'],
)
def test_decode_json_reads_as_json_loads(text: str) -> None:
    decoded, expected = decode_json(text), json.loads(text)
    assert decoded == expected or (decoded != decoded and expected != expected)  # NaN is not equal to itself


@pytest.mark.parametrize("text", ["", "{", "{} x", "[1,]"])
def test_decode_json_refuses_what_json_loads_refuses(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        decode_json(text)


@pytest.mark.postgres
async def test_pool_reads_json_columns_as_json_loads(pg_dsn: str, tmp_path: Path) -> None:
    pool = await create_pool(resolve_settings(_conf(tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=pg_dsn)))
    try:
        async with pool.acquire() as conn:
            # jsonb comes back canonical; json keeps the text as written, spacing included.
            assert await conn.fetchval("""SELECT '{"b": [1, {"c": "d"}], "a": null}'::jsonb""") == {
                "a": None,
                "b": [1, {"c": "d"}],
            }
            assert await conn.fetchval("""SELECT '  {"a" : 1}  '::json""") == {"a": 1}
    finally:
        await pool.close()
