"""The embedded PostgreSQL: zero-config `db migrate && db check`, reuse, clean stop, and the permissions it leaves."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from riir_airflow.metastore.embedded import EmbeddedPostgres, binaries_dir

pytestmark = pytest.mark.e2e


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(home)
    return subprocess.run([str(Path(sys.executable).parent / "riir-airflow"), *args], env=env, capture_output=True,
                          text=True, timeout=180)  # fmt: skip


def _modes(paths: list[Path]) -> dict[Path, int]:
    return {p: stat.S_IMODE(p.stat().st_mode) for p in paths}


def _ancestors(path: Path) -> list[Path]:
    return [path, *path.parents]


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A fresh AIRFLOW_HOME (not created yet); the embedded server started in it is stopped afterwards."""
    path = tmp_path / "airflow-home"
    yield path
    EmbeddedPostgres.for_home(path).stop()


def test_migrate_and_check_with_no_database_configured(home: Path, tmp_path: Path) -> None:
    binaries = sorted(binaries_dir().parent.rglob("*"))[:200] + _ancestors(binaries_dir())
    watched_before = _modes(_ancestors(tmp_path) + binaries)
    passwd_before = Path("/etc/passwd").read_text()

    migrated = _cli(home, "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "(embedded)" in migrated.stdout and "Applied migration 0001_initial" in migrated.stdout
    checked = _cli(home, "db", "check")
    assert checked.returncode == 0, checked.stderr
    assert "Connection successful." in checked.stdout and "up to date" in checked.stdout

    server = EmbeddedPostgres.for_home(home)
    pid = server.pid()
    assert pid is not None and server.is_running()
    # Later commands reuse the running server and its data.
    again = _cli(home, "db", "migrate")
    assert again.returncode == 0 and "Applied migration" not in again.stdout
    assert server.pid() == pid

    # Permissions: nothing above or around our folder was loosened, no system user was created,
    # and our folder, data and socket folder are reachable by their owner only.
    assert _modes(list(watched_before)) == watched_before
    assert Path("/etc/passwd").read_text() == passwd_before
    for path in (server.root, server.data_dir, server.socket_dir):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
        assert path.stat().st_uid == os.getuid()
    assert not stat.S_IMODE(home.stat().st_mode) & 0o002  # AIRFLOW_HOME is not world-writable

    # Stopped cleanly: the process is gone and the status says so; the next command starts it again.
    stopped = _cli(home, "db", "embedded", "stop")
    assert stopped.returncode == 0 and stopped.stdout.strip() == "stopped"
    assert server.pid() is None
    assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    assert _cli(home, "db", "embedded", "status").returncode == 3
    assert "database system is shut down" in (server.root / "postgres.log").read_text()
    rechecked = _cli(home, "db", "check")
    assert rechecked.returncode == 0 and "up to date" in rechecked.stdout, rechecked.stderr
    assert _cli(home, "db", "embedded", "status").returncode == 0


def test_stop_and_status_create_nothing(tmp_path: Path) -> None:
    home = tmp_path / "never-used"
    assert _cli(home, "db", "embedded", "stop").stdout.strip() == "not running"
    assert _cli(home, "db", "embedded", "status").returncode == 3
    assert not home.exists()


def test_long_home_paths_put_the_socket_in_a_private_temp_folder(tmp_path: Path) -> None:
    server = EmbeddedPostgres.for_home(tmp_path / ("x" * 120))
    assert len(str(server.socket_dir)) < 90 and server.socket_dir != server.root / "run"
    short = Path("/tmp/h")  # only the path is computed, nothing is created
    assert EmbeddedPostgres.for_home(short).socket_dir == short / "embedded-postgres" / "run"


def test_without_util_linux_unshare_the_namespace_is_entered_directly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root this exercises `_enter_user_namespace`; as an ordinary user no namespace is needed at all."""
    import riir_airflow.metastore.embedded as embedded

    monkeypatch.setattr(embedded, "_unshare_with_map_user", lambda: None)
    server = EmbeddedPostgres.for_home(tmp_path / "home")
    try:
        dsn = server.ensure_running()
        assert server.is_running() and dsn.startswith("postgresql://postgres:")
        assert "unshare" not in (server.root / "commands.log").read_text()
        assert server.data_dir.stat().st_uid == os.getuid()  # as root: still root's files, nothing was chowned
    finally:
        assert server.stop()
    if server.socket_dir != server.root / "run":
        assert not server.socket_dir.exists()  # a temp socket folder is removed with the server


def test_two_first_commands_at_once_share_one_server(home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(home)
    command = [str(Path(sys.executable).parent / "riir-airflow"), "db", "migrate"]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    # One initdb, one server, and the migration applied exactly once.
    assert sum("Applied migration 0001_initial" in out for out, _ in outputs) == 1
    log = (home / "embedded-postgres" / "commands.log").read_text().splitlines()
    assert len([line for line in log if line.startswith("$ ") and "/initdb " in line]) == 1


async def test_logins_need_the_scram_password_and_a_trust_folder_is_moved_to_scram(tmp_path: Path) -> None:
    import asyncpg

    server = EmbeddedPostgres.for_home(tmp_path / "home")
    server._make_private_dir(server.root)
    # A data folder as an older riir-airflow made it: trust for every local login.
    server._run(["initdb", "-D", str(server.data_dir), "-U", "postgres", "--auth=trust", "--no-instructions"], "initdb")
    try:
        dsn = server.ensure_running()
        password = server.password_file.read_text().strip()
        assert stat.S_IMODE(server.password_file.stat().st_mode) == 0o600 and password in dsn
        hba = [line for line in (server.data_dir / "pg_hba.conf").read_text().splitlines() if not line.startswith("#")]
        assert hba == ["local all all scram-sha-256"]  # no TCP line, no trust
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("SHOW listen_addresses") == ""
            assert await conn.fetchval(
                "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'postgres'"
            )
        finally:
            await conn.close()
        without = dsn.replace(f":{password}@", "@")
        with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
            await asyncpg.connect(without, password="wrong")
    finally:
        assert server.stop()
