"""How CLI commands reach the metastore: one pool for the command, errors as one clear line.

`with_db(work)` runs `work(pool)` against the configured database, or the embedded PostgreSQL under
`$AIRFLOW_HOME` (started if needed) when none is configured. `database_available()` tells commands that also work
without a database (`dags list`, `dags test`) whether to use one: a configured URL, or an embedded server that is
already running; they never start one just to look.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from riir_airflow.exceptions import AirflowConfigException

T = TypeVar("T")


def database_available() -> bool:
    from riir_airflow.config import conf
    from riir_airflow.metastore.embedded import EmbeddedPostgres

    if (conf.get("database", "sql_alchemy_conn", fallback="") or "").strip():
        return True
    return EmbeddedPostgres.for_home(conf.airflow_home).is_running()


async def _run(work: Callable[[Any], Awaitable[T]]) -> T:
    import asyncpg

    from riir_airflow.metastore.pool import create_pool, resolve_settings

    try:
        db = await create_pool(resolve_settings())
    except (OSError, asyncpg.PostgresError) as err:
        raise SystemExit(f"error: cannot connect to the metastore: {err}") from None
    try:
        return await work(db)
    except asyncpg.UndefinedTableError:
        raise SystemExit("error: the metastore has no schema yet: run `riir-airflow db migrate` first") from None
    finally:
        await db.close()


def with_db(work: Callable[[Any], Awaitable[T]]) -> T:
    """`work(db)` in a fresh event loop with a pool for the command's lifetime."""
    import asyncio

    try:
        return asyncio.run(_run(work))
    except AirflowConfigException as err:
        raise SystemExit(f"error: {err}") from None
