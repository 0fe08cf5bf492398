"""`riir-airflow app PATH` (run a DAG app), `app drain` (PreStop), `app retire DAG_ID [--purge]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riir_airflow.app.fork_server import ForkServer

PID_DIR_ENV = "RIIR_APP_PID_DIR"


def _pid_file(path: str) -> str:
    from riir_airflow import core_settings as settings

    folder = os.environ.get(PID_DIR_ENV) or os.path.join(settings.airflow_home(), "apps")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    name = os.path.abspath(path).strip("/").replace("/", "_")
    return os.path.join(folder, f"{name}.pid")


async def _confinement_warning() -> str | None:
    """Whether the configured login confines this app to its DAGs' rows (`db grant-app`); checked before start."""
    from riir_airflow.config import conf
    from riir_airflow.metastore.pool import connect, resolve_settings
    from riir_airflow.metastore.roles import EMBEDDED_WARNING, confinement_warning

    if not (conf.get("database", "sql_alchemy_conn", fallback="") or "").strip():
        return EMBEDDED_WARNING  # the embedded server's only login is its superuser: known without connecting
    conn = await connect(resolve_settings())
    try:
        return await confinement_warning(conn)
    finally:
        await conn.close()


def _template_from_zygote(path: str) -> ForkServer:
    """A new fork server for an app forked from standalone's zygote, which forks it (milliseconds); started as a
    program of its own should this process have no line to the zygote."""
    from riir_airflow.app.fork_server import ForkServer
    from riir_airflow.cli.zygote import request_template

    return request_template(path) or ForkServer.start(path)


def cmd_run(args: argparse.Namespace) -> int:
    from riir_airflow.app.sandbox import hide_secret_environment, load_secret_environment, make_undumpable

    # Before anything reads a secret: the credentials leave the environment block (handed over in a pipe, read below)
    # and the config file is replaced by a copy without sensitive options.
    hide_secret_environment()
    make_undumpable()
    from riir_airflow.app.environment import configured_environment
    from riir_airflow.app.import_guard import guarded_import
    from riir_airflow.app.service import DagApp, ImportFailed

    class GuardedDagApp(DagApp):
        """The app, with its dag.py imported under a memory bound and a watchdog (see import_guard)."""

        def load(self) -> Any:
            with guarded_import(args.path):
                return super().load()

    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    try:
        configured_environment()  # a bad test-deploy name stops the app before it touches the metastore
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        _remove_sanitized_config()
        return 1
    from riir_airflow.app.fork_server import ForkServer
    from riir_airflow.cli.zygote import FORKED_ENV

    forked = bool(os.environ.get(FORKED_ENV))
    app = GuardedDagApp(
        args.path, app_id=args.app_id, parallelism=args.parallelism, grace_period=args.grace_period,
        forked_from_zygote=forked, new_template=_template_from_zygote if forked else ForkServer.start,
    )  # fmt: skip
    # The DAG file is imported and the fork server forked (app/fork_server.py) while no secret is in this process;
    # only then do the secrets come back, for the app alone.
    prepared = app.prepare()
    load_secret_environment()
    try:
        warning = asyncio.run(_confinement_warning())
    except OSError:
        warning = None  # the database is unreachable: the app's own start reports that, with its retries
    if warning:
        logging.getLogger("riir_airflow.app").warning(warning)
    pid_file = _pid_file(args.path)
    with open(pid_file, "w") as f:
        f.write(str(os.getpid()))
    try:
        if args.health_port is not None:
            code = asyncio.run(_run_with_health(app, prepared, args.health_host, args.health_port))
        else:
            code = asyncio.run(app.run(prepared))
    except ImportFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if os.path.exists(pid_file):
            os.unlink(pid_file)
        _remove_sanitized_config()
    if app.reload_requested and code == 0:
        from riir_airflow.cli.supervisor import RELOAD_EXIT_CODE

        if app.forked_from_zygote:
            return RELOAD_EXIT_CODE  # forked from the zygote: the supervisor forks a fresh copy of this app
        # PUT /parseDagFile: the same command again, in this process, so the DAG file is imported afresh (and its
        # fork server re-made from it); the secrets are hidden again as at the first start (app/sandbox.py).
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], dict(os.environ))
    return code


def _remove_sanitized_config() -> None:
    """The secret-free config copy the app and its fork server read (the fork server's close removes it too)."""
    import shutil

    from riir_airflow.app.sandbox import SANITIZED_FOLDER_ENV

    folder = os.environ.get(SANITIZED_FOLDER_ENV)
    if folder and os.path.basename(folder).startswith("riir-fork-server-"):
        shutil.rmtree(folder, ignore_errors=True)


async def _run_with_health(app: Any, prepared: Any, host: str, port: int) -> int:
    """The app with its health endpoint for Kubernetes probes beside it on the same loop."""
    from riir_airflow.app.health import HealthServer

    health = HealthServer(app, host, port)
    await health.start()
    try:
        return int(await app.run(prepared))
    finally:
        await health.stop()


def cmd_drain(args: argparse.Namespace) -> int:
    """The PreStop hook: SIGTERM the app of PATH on this machine and wait until it has drained."""
    pid_file = _pid_file(args.path)
    try:
        with open(pid_file) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        print(f"error: no running app for {args.path} (no pid file {pid_file})", file=sys.stderr)
        return 1
    os.kill(pid, signal.SIGTERM)
    import time

    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if not _is_running(pid):
            print(f"App {pid} drained")
            return 0
        time.sleep(0.2)
    print(f"error: app {pid} still running after {args.timeout}s", file=sys.stderr)
    return 1


def _is_running(pid: int) -> bool:
    """True while the process exists and has not exited (an exited child not yet reaped by its parent, a zombie,
    has finished draining)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, IndexError):
        return not os.path.exists("/proc/self")  # no procfs here: trust kill(0)


async def _with_db(work: Any) -> Any:
    from riir_airflow.metastore.pool import create_pool, resolve_settings

    db = await create_pool(resolve_settings())
    try:
        return await work(db)
    finally:
        await db.close()


def cmd_retire(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import app_queries

    if args.purge and not args.yes:
        answer = input(f"Delete every run, try, XCom and log of {args.dag_id}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Cancelled")
            return 1

    async def work(db: Any) -> int:
        if args.purge:
            counts = await app_queries.purge_dag(db, args.dag_id)
            if not counts.get("dag"):
                print(f"error: Dag {args.dag_id!r} not found", file=sys.stderr)
                return 1
            print(f"Purged {args.dag_id}: " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))
            return 0
        if not await app_queries.retire_dag(db, args.dag_id):
            print(f"error: Dag {args.dag_id!r} not found", file=sys.stderr)
            return 1
        print(f"Retired {args.dag_id}: paused and hidden; history kept (use --purge to delete it)")
        return 0

    return int(asyncio.run(_with_db(work)))


def _app_parsers() -> dict[str, argparse.ArgumentParser]:
    run = argparse.ArgumentParser(prog="riir-airflow app", description="Run the DAG app of one DAG file (or folder)")
    run.add_argument("path", help="The DAG file (or folder) this app runs")
    run.add_argument("--app-id", help="A stable id for this app (default: host:pid:random)")
    run.add_argument("--parallelism", type=int, help="Tries at once (default: [core] parallelism)")
    run.add_argument("--grace-period", type=float, default=30.0, help="Seconds SIGTERM waits for running tries")
    run.add_argument("--health-port", type=int, help="Serve GET /health and /health/ready on this port (probes)")
    run.add_argument("--health-host", default="0.0.0.0", help="Address of the health endpoint (default 0.0.0.0)")
    run.set_defaults(func=cmd_run)
    drain = argparse.ArgumentParser(prog="riir-airflow app drain", description="Drain the app of a DAG file (PreStop)")
    drain.add_argument("path")
    drain.add_argument("--timeout", type=float, default=60.0)
    drain.set_defaults(func=cmd_drain)
    retire = argparse.ArgumentParser(prog="riir-airflow app retire", description="Retire a removed DAG")
    retire.add_argument("dag_id")
    retire.add_argument("--purge", action="store_true", help="Delete every row of the DAG")
    retire.add_argument("-y", "--yes", action="store_true", help="Do not ask for confirmation")
    retire.set_defaults(func=cmd_retire)
    return {"run": run, "drain": drain, "retire": retire}


def cmd_app(args: argparse.Namespace) -> int:
    # `app PATH` runs an app; `app drain PATH` and `app retire DAG_ID` are commands (a file named like a command
    # can be run as `app ./drain`).
    parsers = _app_parsers()
    argv = list(args.argv)
    if not argv or argv[0] in ("-h", "--help"):
        parsers["run"].print_help()
        print(
            "\nother commands:\n  app drain PATH        drain this machine's app of PATH\n"
            "  app retire DAG_ID     mark a removed DAG inactive (--purge deletes its history)"
        )
        return 0 if argv else 2
    name = argv[0] if argv and argv[0] in ("drain", "retire") else "run"
    sub_args = parsers[name].parse_args(argv[1:] if name != "run" else argv)
    return int(sub_args.func(sub_args))


def register(groups: Any) -> None:
    app = groups.add_parser(
        "app", help="Run a DAG app (app PATH), drain it (app drain PATH) or retire a DAG (app retire DAG_ID)",
        add_help=False,
    )  # fmt: skip
    app.add_argument("argv", nargs=argparse.REMAINDER)
    app.set_defaults(func=cmd_app)
