"""standalone's zygote (cli/zygote.py): apps are forked from one pre-loaded process that never holds a secret.

- the apps are children of the zygote, which is a child of standalone; their secrets reach them after their fork
  server was forked: neither the zygote's nor a fork server's environment or memory holds them, the app's does;
- a killed app comes back forked from the same zygote, and the other app is untouched; a broken dag.py fails its
  own app only (recorded as an import error, retried with backoff);
- a reparse request makes an app exit to be forked again at once, with the new file;
- the zygote's own handle: output and exit codes of what it forks, DAG ids read by a forked probe, and a zygote
  that dies takes its apps with it and is replaced on the next request.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
from pathlib import Path

import pytest

from riir_airflow.app.fork_server import ForkServerError
from riir_airflow.cli.zygote import Zygote
from riir_airflow.metastore import notify, queries
from riir_airflow.metastore.pool import connect, settings_from_config
from riir_airflow.metastore.roles import app_role_name
from tests.app.harness import env_for, write_dag
from tests.app.test_hostile import fork_server_of, scan_memory
from tests.test_standalone import Standalone, alive, dag_source, processes_with_env, running_app, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def comm(pid: int) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()


def zygote_of(standalone: int) -> int:
    zygotes = [pid for pid in children(standalone) if comm(pid) == "riir-zygote"]
    assert len(zygotes) == 1, zygotes
    return zygotes[0]


@pytest.mark.timeout(240)
async def test_standalone_forks_its_apps_from_a_zygote_without_secrets(pg_dsn: str, tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    write_dag(dags, "alpha.py", dag_source("alpha"))
    write_dag(dags, "beta.py", dag_source("beta"))
    fernet = secrets.token_urlsafe(24)  # a secret standalone hands its apps: it must reach them and nothing else
    env = env_for(pg_dsn, tmp_path / "home", AIRFLOW__CORE__FERNET_KEY=fernet)
    standalone = Standalone(env, "--dags", str(dags), "--no-broker")
    standalone.wait_for_line("Database ready")
    db = await connect(settings_from_config(dsn=pg_dsn))
    try:
        await wait_until(lambda: running_app(db, "alpha"), what="alpha's app")
        await wait_until(lambda: running_app(db, "beta"), what="beta's app")
        alpha, beta = await running_app(db, "alpha"), await running_app(db, "beta")
        assert alpha is not None and alpha.pid is not None and beta is not None and beta.pid is not None
        zygote = zygote_of(standalone.proc.pid)
        for app in (alpha.pid, beta.pid):
            assert parent(app) == zygote and comm(app) == "riir-app"

        # The secrets: in the app (it loaded them once its fork server existed), nowhere else.
        template = fork_server_of(alpha.pid)
        for needle in (fernet.encode(), pg_dsn.encode()):
            for pid in (zygote, template, alpha.pid):
                assert needle not in Path(f"/proc/{pid}/environ").read_bytes()
            assert scan_memory(zygote, needle) is False
            assert scan_memory(template, needle) is False
        assert scan_memory(alpha.pid, fernet.encode()) is True  # the scan finds the secret where it is
        # ...and it logs in as its own role: its confined login (a secret) reached it.
        assert await db.fetchval("SELECT role_name FROM app WHERE id = $1", alpha.id) == app_role_name("alpha")

        # A killed app comes back, forked from the same zygote; the other app is the same process.
        os.kill(alpha.pid, signal.SIGKILL)

        async def alpha_back() -> bool:
            app = await running_app(db, "alpha")
            return app is not None and app.pid != alpha.pid

        await wait_until(alpha_back, what="alpha's app to come back after SIGKILL")
        alpha_again = await running_app(db, "alpha")
        assert alpha_again is not None and alpha_again.pid is not None and parent(alpha_again.pid) == zygote
        beta_now = await running_app(db, "beta")
        assert beta_now is not None and beta_now.pid == beta.pid and alive(beta.pid)
        assert zygote_of(standalone.proc.pid) == zygote

        # A broken dag.py fails its own app only: recorded as an import error, retried with backoff.
        write_dag(dags, "broken.py", "from airflow.sdk import DAG\nthis is not python\n")
        standalone.wait_for_line(r"app:broken exited with exit code 1; restarting in 1s")
        errors = await queries.list_events(db, events=["import_error"])
        assert any(e.extra and str(e.extra.get("filename", "")).endswith("broken.py") for e in errors.items)
        beta_now = await running_app(db, "beta")
        assert beta_now is not None and beta_now.pid == beta.pid
        assert zygote_of(standalone.proc.pid) == zygote

        # A reparse request (the file unchanged, so standalone's watcher restarts nothing): the app exits to be
        # forked again at once, not after a crash's backoff.
        await notify.request_reparse(db, ["beta"])
        standalone.wait_for_line(r"app:beta reloads its DAG file")

        async def beta_reloaded() -> bool:
            app = await running_app(db, "beta")
            return app is not None and app.pid != beta.pid

        await wait_until(beta_reloaded, what="beta's app forked again")
        reloaded = await running_app(db, "beta")
        assert reloaded is not None and reloaded.pid is not None and parent(reloaded.pid) == zygote
        assert "app:beta exited" not in standalone.output()

        assert standalone.interrupt() == 0, standalone.output()
        assert not alive(zygote)
        assert processes_with_env("AIRFLOW_HOME", env["AIRFLOW_HOME"]) == []
    finally:
        standalone.kill()
        await db.close()


async def test_the_zygote_forks_commands_probes_files_and_takes_its_apps_along_when_it_dies(
    app_env: dict[str, str], dags: Path
) -> None:
    fernet = secrets.token_urlsafe(24)
    env = {**app_env, "AIRFLOW__CORE__FERNET_KEY": fernet}
    lines: list[str] = []
    zygote = Zygote(env, lines.append)
    try:
        # A command forked from it: its output on the pipe, its exit code reported.
        version = await zygote.spawn_app(["version"], env)
        assert version.stdout is not None
        output = (await version.stdout.read()).decode()
        assert await version.wait() == 0 and output.strip(), output
        assert zygote.pid is not None
        for needle in (fernet.encode(), env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].encode()):
            assert needle not in Path(f"/proc/{zygote.pid}/environ").read_bytes()
            assert scan_memory(zygote.pid, needle) is False

        # DAG ids, read by a fork server forked from the zygote; a broken file's error comes back as such.
        good = write_dag(dags, "probe_me.py", dag_source("probe_me"))
        assert await zygote.dag_ids(str(good)) == ["probe_me"]
        broken = write_dag(dags, "broken.py", "from airflow.sdk import DAG\nthis is not python\n")
        with pytest.raises(ForkServerError, match=r"NameError: name .this. is not defined"):
            await zygote.dag_ids(str(broken))

        # A running app dies with the zygote (killed, not left behind); the next request starts another zygote.
        app = await zygote.spawn_app(["app", str(good)], env)
        assert app.stdout is not None
        while b"running probe_me" not in (line := await asyncio.wait_for(app.stdout.readline(), 60)):
            assert line, "the app ended before running its DAG"
        assert app.returncode is None and alive(app.pid)
        first = zygote.pid
        os.kill(first, signal.SIGKILL)
        assert await asyncio.wait_for(app.wait(), 30) == -signal.SIGKILL
        await wait_until(lambda: not alive(app.pid), 10, "the app killed with its zygote")
        again = await zygote.spawn_app(["version"], env)
        assert await again.wait() == 0 and zygote.pid not in (None, first)
    finally:
        await zygote.close()


@pytest.mark.timeout(180)
async def test_requests_beyond_the_zygotes_queue_wait_for_room(app_env: dict[str, str]) -> None:
    """A folder's apps are asked for at once: requests that do not fit in the control socket's send buffer while the
    zygote is busy wait for it to read, none fails as if the zygote were gone."""
    zygote = Zygote(app_env, lambda _line: None)
    try:
        await zygote.start()
        assert zygote.pid is not None and zygote.sock is not None
        # A few requests fill the smallest buffer (200 apps' requests filled the default one on a loaded machine).
        zygote.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        many = 12
        os.kill(zygote.pid, signal.SIGSTOP)  # busy: it reads no request until it goes on
        asyncio.get_running_loop().call_later(1.0, os.kill, zygote.pid, signal.SIGCONT)
        commands = await asyncio.gather(*(zygote.spawn_app(["version"], app_env) for _ in range(many)))
        codes = await asyncio.wait_for(asyncio.gather(*(command.wait() for command in commands)), 120)
        assert codes == [0] * many
    finally:
        await zygote.close()


@pytest.mark.timeout(180)
async def test_a_supervisor_killed_outright_leaves_no_zygote_nor_app_behind(pg_dsn: str, tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    write_dag(dags, "alpha.py", dag_source("alpha"))
    env = env_for(pg_dsn, tmp_path / "home")
    standalone = Standalone(env, "--dags", str(dags), "--no-broker")
    standalone.wait_for_line("Database ready")
    db = await connect(settings_from_config(dsn=pg_dsn))
    try:
        await wait_until(lambda: running_app(db, "alpha"), what="alpha's app")
        app = await running_app(db, "alpha")
        assert app is not None and app.pid is not None
        zygote = zygote_of(standalone.proc.pid)
        template = fork_server_of(app.pid)
        # SIGKILL: no drain by the supervisor. The zygote gets SIGTERM (its parent-death signal) and dies; the app
        # gets SIGTERM when the zygote dies (its own parent-death signal), drains and exits; its fork server follows.
        standalone.proc.kill()
        for pid, what in ((zygote, "the zygote"), (app.pid, "the app"), (template, "its fork server")):
            await wait_until(lambda gone=pid: not alive(gone), 60, f"{what} to exit after the supervisor's death")  # type: ignore[misc]
        assert processes_with_env("AIRFLOW_HOME", env["AIRFLOW_HOME"]) == []
    finally:
        standalone.kill()
        await db.close()


def test_the_zygotes_first_run_of_a_dag_loads_no_plugin(tmp_path: Path) -> None:
    """The zygote runs an app's first steps on riir's own sample DAG (`run_app_start_once`) without loading the
    plugins folder, which a DagBag of the same file would (user code never runs in the zygote)."""
    import subprocess
    import sys

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    marker = tmp_path / "plugin_imported"
    (plugins / "spy_plugin.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins)}

    def run(code: str) -> None:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    run("from riir_airflow.cli.zygote import run_app_start_once; run_app_start_once()")
    assert not marker.exists()
    run(  # the spy works: a DagBag of the same file loads the plugins first
        "from pathlib import Path; import riir_airflow.cli.zygote as z; from riir_airflow.dag_processing.loader "
        "import DagBag; assert DagBag(str(Path(z.__file__).with_name('zygote_sample_dag.py'))).dags"
    )
    assert marker.exists()
