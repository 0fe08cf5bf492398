"""`riir-airflow broker`: serve the REST API (granian by default, uvicorn as an option).

Host, port and workers come from `[api]` unless given. Workers are separate processes: the database URL and a JWT
secret are put in the environment first so that every worker uses the same ones. SIGTERM / SIGINT stop the server
gracefully (in-flight requests finish, the metastore pool closes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
from typing import Any

import asyncpg

from riir_airflow.config import conf


def run(args: argparse.Namespace) -> int:
    host = args.host or conf.get("api", "host", fallback="0.0.0.0") or "0.0.0.0"
    port = args.port or conf.getint("api", "port", fallback=8080)
    workers = args.workers or conf.getint("api", "workers", fallback=1)
    if not (conf.get("database", "sql_alchemy_conn", fallback="") or "").strip():
        from riir_airflow.metastore.pool import resolve_settings

        # The embedded PostgreSQL under $AIRFLOW_HOME; workers find it through the environment.
        os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = resolve_settings(conf).dsn
    if not (conf.get("api_auth", "jwt_secret", fallback="") or ""):
        os.environ["AIRFLOW__API_AUTH__JWT_SECRET"] = secrets.token_urlsafe(32)
    conf.reload()
    problem = asyncio.run(_schema_problem())
    if problem:
        print(problem, file=sys.stderr)
        return 1
    target = "riir_airflow.broker.app:create_app"
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

    from riir_airflow.broker.app import create_app

    async def serve() -> None:
        server = Server(create_app(), address=host, port=port, interface=Interfaces.ASGI, log_access=False)
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
    parser = groups.add_parser("broker", help="Serve the Airflow-compatible REST API (the broker)")
    parser.add_argument("-H", "--host", help="Address to listen on (default: [api] host)")
    parser.add_argument("-p", "--port", type=int, help="Port (default: [api] port)")
    parser.add_argument("-w", "--workers", type=int, help="Worker processes (default: [api] workers)")
    parser.add_argument("--server", choices=("granian", "uvicorn"), default="granian", help="ASGI server")
    parser.add_argument("--grace", type=int, default=30, help="Seconds in-flight requests get on shutdown")
    parser.set_defaults(func=run)
