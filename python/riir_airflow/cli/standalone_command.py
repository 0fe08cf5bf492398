"""`riir-airflow standalone`: everything on one machine, for development (Airflow's `airflow standalone`).

1. the metastore: the configured PostgreSQL, or the embedded one under `$AIRFLOW_HOME` (started here, and stopped
   again on exit if it was started here), migrated to the current schema;
2. the broker (REST API + UI) on `[api] host`/`port`, loopback by default, when the `server` extra is installed; the
   admin password is generated here, printed on the terminal and kept in `[core] simple_auth_manager_passwords_file`
   (created with mode 0600), never written to a log;
3. one supervised DAG app per DAG file of `[core] dags_folder` (or `--dags`): a new file starts an app, a changed
   one restarts it, a deleted one drains it; a crashing app is restarted with backoff (see `cli/supervisor.py`).
   Each app logs in as its own confined role (`db grant-app`), granted here for the DAG ids its file declares:
   those are read by importing the file in a fork server (no credential in its reach), not in this process.
   The apps are forked from one pre-loaded zygote process that holds no secret (`cli/zygote.py`), so they share
   riir's imported code instead of each importing it again; `--no-zygote` starts each in an interpreter of its own.

Ctrl-C (or SIGTERM) drains the apps, stops the broker and the embedded PostgreSQL, and leaves no process behind.
`--demo` triggers one DAG once everything is up, prints what happened and stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from riir_airflow.cli.dag_folder import can_watch, compare, folder_events, snapshot
from riir_airflow.cli.supervisor import Child, Console, Supervisor
from riir_airflow.cli.zygote import Zygote

APP_GRACE_SECONDS = 40.0  # an app's own grace period for running tries is 30 s
BROKER_GRACE_SECONDS = 35.0


def app_name(folder: str, path: str) -> str:
    """The console prefix of a DAG file's app: `app:` and its path inside the folder, without `.py`."""
    root = folder if os.path.isdir(folder) else os.path.dirname(folder)
    return "app:" + os.path.relpath(path, root).removesuffix(".py")


def ensure_admin_password(config: Any) -> tuple[str, str] | None:
    """Airflow's first-start password: generated for the simple auth manager's users that have none, written to
    the passwords file created atomically with mode 0600 (never readable by others, not even for a moment).
    Returns (user, password) to print, or None when nothing new was generated."""
    if config.getboolean("core", "simple_auth_manager_all_admins", fallback=False):
        return None
    users = [u.split(":")[0].strip() for u in (config.get("core", "simple_auth_manager_users") or "").split(",")]
    users = [u for u in users if u]
    if not users:
        return None
    configured = config.get("core", "simple_auth_manager_passwords_file", fallback=None) or ""
    default = Path(config.airflow_home) / "simple_auth_manager_passwords.json.generated"
    path = Path(configured) if configured else default
    if path.exists():
        return None
    passwords = {user: secrets.token_urlsafe(12) for user in users}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(passwords) + "\n")
    return users[0], passwords[users[0]]


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


class Standalone:
    """The running set: supervisor, the apps by DAG file, the broker."""

    def __init__(self, args: argparse.Namespace, folder: str, dsn: str, logs: Path, console: Console) -> None:
        self.args = args
        self.folder = folder
        self.logs = logs
        self.console = console
        self.files: dict[str, str] = {}  # DAG file -> content hash of the running app
        self.stopping = asyncio.Event()
        self.draining: set[asyncio.Task[Any]] = set()
        self.dsn = dsn
        self.passwords: dict[str, str] = {}  # DAG file -> its role's password (stable across restarts)
        self.starting: set[asyncio.Task[Any]] = set()
        self.env = {
            **os.environ,
            "RIIR_AIRFLOW_COMPAT": os.environ.get("RIIR_AIRFLOW_COMPAT", "1"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": dsn,
            "PYTHONUNBUFFERED": "1",
        }
        self.zygote = None if args.no_zygote else Zygote(self.env, lambda text: console.line("zygote", text))
        self.supervisor = Supervisor(console, zygote=self.zygote)

    def say(self, text: str) -> None:
        self.supervisor.say(text)

    # --- apps -------------------------------------------------------------------------------------------------------
    def _start_app(self, path: str) -> None:
        task = asyncio.get_running_loop().create_task(self._start_confined_app(path))
        self.starting.add(task)
        task.add_done_callback(self.starting.discard)

    async def _start_confined_app(self, path: str) -> None:
        """Starts the app of `path` under its own role; under the owner's login (which it warns about) when the
        file declares no DAG or the role cannot be made."""
        name = app_name(self.folder, path)
        log_path = self.logs / (name.replace(":", "-").replace("/", "__") + ".log")
        env = self.env
        try:
            uri = await self._confined_login(path)
        except Exception as exc:
            self.say(f"{name}: runs with the owner's login, not a role of its own: {exc}")
        else:
            env = {**self.env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": uri}
        if not self.stopping.is_set():
            self.supervisor.start(Child(name, ["app", path], log_path, env, forked=True))

    async def _confined_login(self, path: str) -> str:
        """`db grant-app` for the DAG ids `path` declares (its deploy identity pinned); the role's connection URI."""
        import asyncpg

        from riir_airflow.app.fork_server import ForkServer
        from riir_airflow.app.identity import deploy_identity
        from riir_airflow.metastore import roles

        if self.zygote is not None:
            dag_ids = await self.zygote.dag_ids(path)
        else:
            server = ForkServer.start(path)
            try:
                dag_ids = await asyncio.get_running_loop().run_in_executor(None, server.wait_ready, 300.0)
            finally:
                server.close()
        who = deploy_identity()
        grant = roles.AppGrant(
            dag_ids=tuple(dag_ids), deployed_by=who.deployed_by, service_account=who.service_account,
            image=who.image, environment=who.environment,
        )  # fmt: skip
        conn = await asyncpg.connect(self.dsn)
        try:
            role, password = await roles.grant_app(conn, grant, password=self.passwords.get(path))
        finally:
            await conn.close()
        self.passwords[path] = password
        return roles.role_uri(self.dsn, role, password)

    def _drain_app(self, path: str, then_start: bool) -> None:
        """Stops the app of `path` in the background (a drain can take the apps' grace period), then starts it
        again when `then_start`."""
        name = app_name(self.folder, path)

        async def drain() -> None:
            code = await self.supervisor.stop(name, APP_GRACE_SECONDS)
            self.say(f"{name} drained (exit code {code})")
            if then_start and not self.stopping.is_set():
                self._start_app(path)

        task = asyncio.get_running_loop().create_task(drain())
        self.draining.add(task)
        task.add_done_callback(self.draining.discard)

    def reconcile(self) -> None:
        """Brings the apps in line with the DAG files on disk."""
        current = snapshot(self.folder)
        changes = compare(self.files, current)
        for path in changes.added:
            self.say(f"New DAG file {path}: starting its app")
            self._start_app(path)
        for path in changes.changed:
            self.say(f"DAG file {path} changed: restarting its app")
            self._drain_app(path, then_start=True)
        for path in changes.removed:
            self.say(f"DAG file {path} deleted: draining its app")
            self._drain_app(path, then_start=False)
        self.files = current

    async def watch(self) -> None:
        async for _ in folder_events(self.folder):
            if self.stopping.is_set():
                return
            self.reconcile()

    # --- the whole ----------------------------------------------------------------------------------------------------
    def _start_broker(self) -> tuple[str, int]:
        from riir_airflow.config import conf

        # On a laptop the broker listens on loopback unless [api] host says otherwise.
        host = os.environ.get("AIRFLOW__API__HOST") or "127.0.0.1"
        port = conf.getint("api", "port", fallback=8080)
        env = {**self.env, "AIRFLOW__API__HOST": host}
        self.supervisor.start(Child("broker", ["broker"], self.logs / "broker.log", env))
        return host, port

    async def _wait_ready(self, host: str, port: int, timeout: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.stopping.is_set() and time.monotonic() < deadline:
            if await asyncio.to_thread(_port_open, host, port):
                return True
            await asyncio.sleep(0.3)
        return False

    async def run(self, broker: bool, password: tuple[str, str] | None) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        self.reconcile()
        if not self.files:
            self.say(f"No DAG files in {self.folder} yet: waiting for some")
        watcher = None
        if can_watch():
            watcher = loop.create_task(self.watch())
        else:
            self.say("watchfiles is not installed (pip install 'riir-airflow[standalone]'): DAG files are not watched")
        code = 0
        try:
            if broker:
                host, port = self._start_broker()
                if await self._wait_ready(host, port):
                    url = f"http://{host}:{port}"
                    self.say("")
                    self.say(f"riir-airflow is ready: {url}")
                    if password is not None:
                        self.say(f"Login with username: {password[0]}  password: {password[1]}")
                    self.say("Standalone is for development purposes only. Do not use this in production!")
                    self.say("")
            if self.args.demo:
                code = await run_demo(self.args.demo_dag)
                if sys.stdin.isatty() and not self.stopping.is_set():
                    # A person at a terminal (`make demo`) gets to look at the run in the UI; scripts and CI stop.
                    self.say("The demo run is done; the UI stays up until Ctrl-C.")
                    await self.stopping.wait()
            else:
                await self.stopping.wait()
        finally:
            self.stopping.set()
            self.say("Shutting down components")
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            await asyncio.gather(*self.starting, *self.draining)
            await self.supervisor.stop_all(max(APP_GRACE_SECONDS, BROKER_GRACE_SECONDS))
        return code


async def run_demo(dag_id: str, timeout: float = 120.0) -> int:
    """Triggers `dag_id` once its app has registered it, waits for the run and prints its task instances."""
    import pendulum

    from riir_airflow.metastore import queries
    from riir_airflow.metastore.pool import create_pool, resolve_settings

    console = Console()
    db = await create_pool(resolve_settings())
    try:
        deadline = time.monotonic() + timeout
        while await queries.get_dag(db, dag_id) is None:
            if time.monotonic() > deadline:
                console.line("standalone", f"error: {dag_id} was not registered by its app within {timeout:.0f}s")
                return 1
            await asyncio.sleep(0.3)
        now = pendulum.now("UTC")
        run_id = f"demo__{now.isoformat()}"
        conf = {"count": 6}
        await queries.create_dag_run(
            db, dag_id, run_id, run_type="manual", logical_date=now, data_interval=(now, now), run_after=now,
            conf=conf, triggered_by="cli",
        )  # fmt: skip
        console.line("standalone", f"Triggered {dag_id} run {run_id} with conf {conf}")
        while (run := await queries.get_dag_run(db, dag_id, run_id)) is None or run.state not in ("success", "failed"):
            if time.monotonic() > deadline:
                console.line("standalone", f"error: run {run_id} did not finish within {timeout:.0f}s")
                return 1
            await asyncio.sleep(0.2)
        tis = await queries.list_task_instances(
            db, dag_id=dag_id, run_id=run_id, order_by=["task_id", "map_index"], limit=1000
        )
        console.line("standalone", f"Run {run_id}: {run.state}")
        for ti in tis.items:
            index = f"[{ti.map_index}]" if ti.map_index >= 0 else ""
            duration = f"{ti.duration * 1000:.0f} ms" if ti.duration is not None else "-"
            console.line("standalone", f"  {ti.task_id + index:<24} {ti.state!s:<10} try {ti.try_number}  {duration}")
        xcoms = await queries.list_xcoms(db, dag_id=dag_id, run_id=run_id, xcom_key="return_value", limit=1000)
        for xcom in xcoms.items:
            if xcom.map_index < 0:
                console.line("standalone", f"  {xcom.task_id} returned {xcom.value}")
        return 0 if run.state == "success" else 1
    finally:
        await db.close()


def cmd_standalone(args: argparse.Namespace) -> int:
    from riir_airflow import core_settings as settings
    from riir_airflow.cli.broker_command import missing_server_extra
    from riir_airflow.config import conf
    from riir_airflow.metastore.embedded import EmbeddedPostgres, max_connections_for
    from riir_airflow.metastore.pool import resolve_settings

    console = Console()
    home = Path(settings.airflow_home())
    logs = home / "logs" / "standalone"
    logs.mkdir(parents=True, exist_ok=True)
    folder = os.path.abspath(args.dags or settings.dags_folder())
    if not os.path.exists(folder):
        console.line("standalone", f"error: DAG folder {folder} does not exist")
        return 1
    embedded = EmbeddedPostgres.for_home(home)
    started_embedded = not (conf.get("database", "sql_alchemy_conn", fallback="") or "").strip() and not (
        embedded.is_running()
    )
    console.line("standalone", "Starting riir-airflow standalone")
    # Starts the embedded PostgreSQL when no database is configured, with room for two connections per app.
    apps = len(snapshot(folder))
    wanted = max_connections_for(apps)
    db = resolve_settings(max_connections=wanted)
    where = f" (embedded, under {home})" if db.embedded else ""
    console.line("standalone", f"Metastore: {db.display_dsn}{where}")
    if db.embedded and (started := embedded.started_max_connections()) < wanted:
        console.line("standalone", f"Note: the embedded PostgreSQL already runs with max_connections={started}; "
                     f"{apps} apps may want up to {wanted}. Apps wait for a free connection; "
                     "`riir-airflow db embedded stop` and a new start size it for this folder.")  # fmt: skip
    try:
        console.line("standalone", "Checking database is migrated")
        asyncio.run(_migrate(db))
        console.line("standalone", "Database ready")
        broker = not args.no_broker
        if broker and (missing := missing_server_extra()):
            console.line("standalone", f"The broker needs the server extra ({missing} missing): running without it")
            broker = False
        password = None
        if broker:
            password = ensure_admin_password(conf)
            if password is None and not conf.getboolean("core", "simple_auth_manager_all_admins", fallback=False):
                console.line("standalone", "Password for the admin user has been previously generated: not echoing it")
        console.line("standalone", f"Logs of every part: {logs}")
        return asyncio.run(Standalone(args, folder, db.dsn, logs, console).run(broker, password))
    finally:
        if started_embedded:
            embedded.stop()
            console.line("standalone", "Embedded PostgreSQL stopped")
        console.line("standalone", "Complete")


async def _migrate(settings: Any) -> None:
    from riir_airflow.metastore.migrate import migrate
    from riir_airflow.metastore.pool import connect

    conn = await connect(settings)
    try:
        await migrate(conn, default_pool_slots=_default_pool_slots())
    finally:
        await conn.close()


def _default_pool_slots() -> int:
    from riir_airflow.config import conf

    return conf.getint("core", "default_pool_task_slot_count")


def register(groups: Any) -> None:
    p = groups.add_parser(
        "standalone", help="Run an all-in-one copy of riir-airflow (metastore, broker, one app per DAG file)"
    )
    p.add_argument("--dags", help="DAG folder (default: [core] dags_folder)")
    p.add_argument(
        "--demo",
        action="store_true",
        help=(
            "Trigger --demo-dag once ready and print its result, then stop (from a terminal: keep serving until Ctrl-C)"
        ),
    )
    p.add_argument("--demo-dag", default="example_etl", help="The DAG --demo triggers")
    p.add_argument("--no-broker", action="store_true", help="Do not start the broker")
    p.add_argument(
        "--no-zygote", action="store_true",
        help="Start each DAG app in an interpreter of its own instead of forking it from one pre-loaded process",
    )  # fmt: skip
    p.set_defaults(func=cmd_standalone)
