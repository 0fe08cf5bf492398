"""`riir-airflow broker`: serve the REST API (granian by default, uvicorn as an option).

Host, port and workers come from `[api]` unless given. Workers are separate processes: the database URL and a JWT
secret are put in the environment first so that every worker uses the same ones. SIGTERM / SIGINT stop the server
gracefully (in-flight requests finish, the metastore pool closes).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import secrets
import sys
from typing import Any

import asyncpg

from riir_airflow.config import conf

SERVER_MODULES = ("fastapi", "pydantic", "granian")


def missing_server_extra() -> str | None:
    """The first module of the `server` extra that cannot be imported, or None when the extra is installed."""
    for module in SERVER_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            return module
    return None


def run(args: argparse.Namespace) -> int:
    if (problem := unsupported_flag(args)) is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    missing = missing_server_extra()
    if missing is not None and not (args.server == "uvicorn" and missing == "granian"):
        print(
            f"error: `riir-airflow {args.command}` needs the server extra ({missing} is not installed): "
            "pip install 'riir-airflow[server]'",
            file=sys.stderr,
        )
        return 1
    host = args.host or conf.get("api", "host", fallback="0.0.0.0") or "0.0.0.0"
    port = args.port or conf.getint("api", "port", fallback=8080)
    workers = args.workers or conf.getint("api", "workers", fallback=1)
    if not (conf.get("database", "sql_alchemy_conn", fallback="") or "").strip():
        from riir_airflow.metastore.pool import resolve_settings

        # The embedded PostgreSQL under $AIRFLOW_HOME; workers find it through the environment.
        os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = resolve_settings(conf).dsn
    if not (conf.get("api_auth", "jwt_secret", fallback="") or ""):
        os.environ["AIRFLOW__API_AUTH__JWT_SECRET"] = secrets.token_urlsafe(64)
    conf.reload()
    problem = asyncio.run(_schema_problem())
    if problem:
        print(problem, file=sys.stderr)
        return 1
    target = "riir_airflow.broker.front:create_broker"
    print(f"riir-airflow broker on http://{host}:{port} ({args.server}, {workers} worker(s))", flush=True)
    if args.server == "uvicorn":
        try:
            import uvicorn
        except ImportError:
            print("error: --server uvicorn needs uvicorn: pip install 'riir-airflow[uvicorn]'", file=sys.stderr)
            return 1

        uvicorn.run(target, factory=True, host=host, port=port, workers=workers, log_level="warning",
                    timeout_graceful_shutdown=args.grace)  # fmt: skip
        return 0
    if workers == 1:
        return _serve_in_this_process(host, port, args.grace)
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        target, address=host, port=port, workers=workers, interface=Interfaces.ASGI, factory=True,
        workers_kill_timeout=args.grace, log_access=False,
    ).serve()  # fmt: skip
    return 0


def _serve_in_this_process(host: str, port: int, grace: int) -> int:
    """One worker: granian's embedded server runs the app on this process's event loop.

    Granian's process mode would fork a worker from a supervising master, so an idle broker would be two Python
    processes (two interpreters' memory) for no gain: one worker cannot be restarted without dropping its requests
    anyway. SIGTERM / SIGINT stop it gracefully as in process mode.
    """
    import signal

    from granian.constants import Interfaces
    from granian.server.embed import Server

    from riir_airflow.broker.front import create_broker

    async def serve() -> None:
        server = Server(create_broker(), address=host, port=port, interface=Interfaces.ASGI, log_access=False)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, server.stop)
        await server.serve()

    del grace  # the embedded server finishes in-flight requests on stop; it has no kill timeout to set
    asyncio.run(serve())
    return 0


async def _schema_problem() -> str | None:
    """Why the metastore cannot be served (unreachable, or its schema is not this version's), or None."""
    from riir_airflow.metastore.migrate import check
    from riir_airflow.metastore.pool import connect, settings_from_config

    try:
        conn = await connect(settings_from_config(conf))
    except (OSError, asyncpg.PostgresError) as err:
        return f"Cannot reach the metastore: {err}"
    try:
        status = await check(conn)
    finally:
        await conn.close()
    if status.pending:
        return f"The metastore has {len(status.pending)} pending migration(s): run `riir-airflow db migrate` first"
    if not status.up_to_date:
        return "The metastore's schema does not match this riir-airflow version (see `riir-airflow db check`)"
    return None


def register(groups: Any) -> None:
    # `api-server` is Airflow's name for the same server.
    for name, text in (("broker", "Serve the Airflow-compatible REST API and UI (the broker)"),
                       ("api-server", "Start an Airflow API server instance (the same as `broker`)")):  # fmt: skip
        _add_parser(groups, name, text)


def _add_parser(groups: Any, name: str, text: str) -> None:
    parser = groups.add_parser(name, help=text)
    parser.add_argument("-H", "--host", help="Address to listen on (default: [api] host)")
    parser.add_argument("-p", "--port", type=int, help="Port (default: [api] port)")
    parser.add_argument("-w", "--workers", type=int, help="Worker processes (default: [api] workers)")
    parser.add_argument("--server", choices=("granian", "uvicorn"), default="granian", help="ASGI server")
    parser.add_argument("--grace", type=int, default=30, help="Seconds in-flight requests get on shutdown")
    # Airflow's api-server flags. The broker serves the REST API and UI only (no Execution API: tasks talk to their
    # app), in the foreground (a service manager or Kubernetes runs it), with plain HTTP (TLS ends at a proxy).
    parser.add_argument("--apps", default="all", help="Airflow's API apps to serve: 'core' or 'all' (the broker "
                        "has no 'execution' API)")  # fmt: skip
    parser.add_argument(
        "-t", "--worker-timeout", type=int, help="Accepted for compatibility (workers start in-process)"
    )
    parser.add_argument("-d", "--dev", action="store_true", help="Accepted for compatibility (no auto-reload)")
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="Accepted for compatibility: the broker does not read X-Forwarded-* headers",
    )
    parser.add_argument("--log-config", help="Not supported: the broker logs to stderr")
    for flag in ("--ssl-cert", "--ssl-key", "--ssl-ca-file", "--ssl-cert-reqs"):
        parser.add_argument(flag, help="Not supported: terminate TLS at a proxy in front of the broker")
    parser.add_argument("-D", "--daemon", action="store_true", help="Not supported: run it under a service manager")
    foreground: list[tuple[str, ...]] = [("--pid",), ("--stdout",), ("--stderr",), ("-l", "--log-file")]
    for flags in foreground:
        parser.add_argument(*flags, help="Not supported with the broker (it runs in the foreground)")
    parser.set_defaults(func=run)


UNSUPPORTED_FLAGS = {
    "ssl_cert": "--ssl-cert: TLS is not served by the broker; terminate it at a proxy",
    "ssl_key": "--ssl-key: TLS is not served by the broker; terminate it at a proxy",
    "ssl_ca_file": "--ssl-ca-file: TLS is not served by the broker; terminate it at a proxy",
    "ssl_cert_reqs": "--ssl-cert-reqs: TLS is not served by the broker; terminate it at a proxy",
    "daemon": "--daemon: the broker runs in the foreground; use a service manager",
    "pid": "--pid: the broker runs in the foreground; use a service manager",
    "stdout": "--stdout: the broker runs in the foreground; redirect its output",
    "stderr": "--stderr: the broker runs in the foreground; redirect its output",
    "log_file": "--log-file: the broker runs in the foreground; redirect its output",
    "log_config": "--log-config: the broker logs to stderr",
}


def unsupported_flag(args: argparse.Namespace) -> str | None:
    for dest, message in UNSUPPORTED_FLAGS.items():
        if getattr(args, dest, None):
            return message
    if getattr(args, "apps", "all") not in ("all", "core"):
        return f"--apps {args.apps}: the broker serves the core API only (tasks talk to their DAG app)"
    return None
