"""The metastore through pgbouncer in transaction mode (no session state, no named prepared statements)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from riir_airflow.config import AirflowConfigParser
from riir_airflow.metastore import queries as q
from riir_airflow.metastore.migrate import check, load_migrations, migrate
from riir_airflow.metastore.pool import connect, create_pool, settings_from_config
from riir_airflow.metastore.records import NewTaskInstance, StateChange

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def pgbouncer(tmp_path: Path, pg_dsn: str) -> Iterator[int]:
    """A real pgbouncer (transaction pooling, 2 server connections) in front of the test database."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    port = _free_port()
    (tmp_path / "users.txt").write_text('"postgres" ""\n')
    (tmp_path / "pgbouncer.ini").write_text(
        f"""[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {tmp_path}/users.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 50
logfile = {tmp_path}/pgbouncer.log
pidfile = {tmp_path}/pgbouncer.pid
"""
    )
    command = [binary, str(tmp_path / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root: run it as an ordinary uid in a user namespace
        command = ["unshare", "--map-user=1000", "--map-group=1000", *command]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, (tmp_path / "pgbouncer.log").read_text()
            subprocess.run(["sleep", "0.05"], check=True)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_everything_works_through_pgbouncer_transaction_mode(pgbouncer: int, pg_dsn: str, tmp_path: Path) -> None:
    database = pg_dsn.rpartition("/")[2]
    url = f"postgresql://postgres@127.0.0.1:{pgbouncer}/{database}?prepared_statement_cache_size=0"
    conf = AirflowConfigParser(environ={"AIRFLOW_HOME": str(tmp_path), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url})
    settings = settings_from_config(conf)
    assert settings.statement_cache_size == 0

    conns = [await connect(settings) for _ in range(3)]
    try:
        # Three migrators through two shared server connections: the transaction-level lock still serializes them.
        applied = await asyncio.gather(*(migrate(c) for c in conns))
        assert sorted(m.version for a in applied for m in a) == [m.version for m in load_migrations()]
        assert (await check(conns[0])).up_to_date
    finally:
        for c in conns:
            await c.close()

    pool = await create_pool(settings)
    try:
        await q.upsert_pool(pool, "default_pool", -1)
        await q.upsert_dag(pool, "bouncer")
        for run in range(4):
            tasks = [NewTaskInstance(f"t{i}") for i in range(10)]
            await q.create_dag_run(pool, "bouncer", f"r{run}", run_type="manual", tasks=tasks)
            await q.set_task_states(
                pool, "bouncer", f"r{run}", [StateChange(t.task_id, "scheduled", (None,)) for t in tasks]
            )

        async def worker(name: str) -> int:
            done = 0
            while claimed := await q.claim_ready_tries(pool, app_id=name, hostname=name, limit=3):
                for ti in claimed:
                    await q.start_try(pool, ti.id, ti.try_number, pid=1, hostname=name)
                    assert await q.record_task_result(
                        pool, ti.id, ti.try_number, "success", xcoms={"return_value": done}
                    )
                    done += 1
            return done

        counts = await asyncio.gather(*(worker(f"w{i}") for i in range(6)))
        assert sum(counts) == 40
        finished = await q.list_task_instances(pool, dag_id="bouncer", states=["success"], limit=100)
        assert finished.total_entries == 40
    finally:
        await pool.close()
    # Control: the same traffic with asyncpg's statement cache on breaks behind transaction pooling, which is
    # why the option exists.
    cached = await create_pool(settings_from_config(conf, dsn=url.replace("?prepared_statement_cache_size=0", "")))
    try:
        with pytest.raises((asyncpg.exceptions.InvalidSQLStatementNameError,
                            asyncpg.exceptions.DuplicatePreparedStatementError)):  # fmt: skip

            async def reader() -> None:
                # Until a statement prepared on one server connection is run on another (usually within the first
                # few dozen): how soon depends on the machine's timing, so there are many chances.
                for _ in range(500):
                    await q.list_task_instances(cached, dag_id="bouncer", limit=5)

            await asyncio.gather(*(reader() for _ in range(6)))
    finally:
        await cached.close()
