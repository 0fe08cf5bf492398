"""`riir-airflow broker`: serve the REST API (granian by default, uvicorn as an option).

Host, port and workers come from `[api]` unless given. Workers are separate processes: the database URL and a JWT
secret are put in the environment first so that every worker uses the same ones. SIGTERM / SIGINT stop the server
gracefully (in-flight requests finish, the metastore pool closes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from riir_airflow.config import conf
from riir_airflow.exceptions import AirflowConfigException

SERVER_MODULES = ("fastapi", "pydantic", "granian")


def missing_server_extra() -> str | None:
    """The first module of the `server` extra that is not installed, or None when the extra is installed. Looked up,
    not imported: importing FastAPI (and pydantic with it) here would load into an idle broker what its lazy front
    (broker/front.py) defers to the first API request, ~10 MB."""
    for module in SERVER_MODULES:
        if importlib.util.find_spec(module) is None:
            return module
    return None


@dataclass(frozen=True)
class ServeOptions:
    """What `riir-airflow broker` serves with, resolved from its flags and `[api]`."""

    host: str
    port: int
    workers: int
    grace: int
    ssl: TlsFiles | None
    proxy_headers: bool
    log_config: str | None
    dev: bool = False


@dataclass(frozen=True)
class TlsFiles:
    cert: str
    key: str
    ca: str | None
    cert_reqs: str  # none | optional | required


def tls_files(args: argparse.Namespace) -> TlsFiles | None:
    """Airflow's checks, word for word: both of certificate and key, and every named file must exist."""
    cert = args.ssl_cert if args.ssl_cert is not None else conf.get("api", "ssl_cert", fallback="")
    key = args.ssl_key if args.ssl_key is not None else conf.get("api", "ssl_key", fallback="")
    ca = args.ssl_ca_file if args.ssl_ca_file is not None else conf.get("api", "ssl_ca_file", fallback=None)
    reqs = args.ssl_cert_reqs or conf.get("api", "ssl_cert_reqs", fallback="none") or "none"
    if reqs not in ("none", "optional", "required"):
        raise AirflowConfigException(f"Invalid ssl_cert_reqs option: {reqs}")
    if cert and key:
        for path in (cert, key, *([ca] if ca else [])):
            if not os.path.isfile(path):
                raise AirflowConfigException(f"SSL related file does not exist {path}")
        return TlsFiles(cert=cert, key=key, ca=ca or None, cert_reqs=reqs)
    if cert:
        raise AirflowConfigException("Need both, have provided SSL certificate but not SSL key")
    if key:
        raise AirflowConfigException("Need both, have provided SSL key but not SSL certificate")
    return None


def apply_log_config(path: str) -> None:
    """`--log-config` / `[api] log_config`: a logging configuration file (JSON or YAML dict config, else INI)."""
    import logging.config

    if path.endswith(".json"):
        with open(path) as f:
            logging.config.dictConfig(json.load(f))
    elif path.endswith((".yaml", ".yml")):
        import yaml

        with open(path) as f:
            logging.config.dictConfig(yaml.safe_load(f))
    else:
        logging.config.fileConfig(path, disable_existing_loggers=False)


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
    # Granian's reloader is watchfiles, which comes with the `standalone` extra (uvicorn polls without it).
    if args.dev and args.server == "granian" and importlib.util.find_spec("watchfiles") is None:
        print(
            f"error: `riir-airflow {args.command} --dev` needs watchfiles to reload: "
            "pip install 'riir-airflow[standalone]'",
            file=sys.stderr,
        )
        return 1
    try:
        ssl = tls_files(args)
    except AirflowConfigException as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if ssl is not None and ssl.cert_reqs == "optional" and args.server == "granian":
        print("error: --ssl-cert-reqs optional needs --server uvicorn (granian verifies client certificates "
              "always or never)", file=sys.stderr)  # fmt: skip
        return 2
    if ssl is not None and ssl.cert_reqs == "required" and not ssl.ca:
        print("error: --ssl-cert-reqs required needs --ssl-ca-file to verify client certificates", file=sys.stderr)
        return 2
    log_config = args.log_config if args.log_config is not None else conf.get("api", "log_config", fallback=None)
    if log_config == "-":  # Airflow reads "-" (the old access_logfile default) as not set
        log_config = None
    if log_config and not os.path.isfile(log_config):
        print(f"error: --log-config: no such file {log_config}", file=sys.stderr)
        return 1
    options = ServeOptions(
        host=args.host or conf.get("api", "host", fallback="0.0.0.0") or "0.0.0.0",
        port=args.port or conf.getint("api", "port", fallback=8080),
        workers=args.workers or conf.getint("api", "workers", fallback=1),
        grace=args.grace, ssl=ssl, proxy_headers=args.proxy_headers, log_config=log_config, dev=args.dev,
    )  # fmt: skip
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
    from riir_airflow.cli.daemon import run_with_daemon_option

    return run_with_daemon_option(args, "api_server", lambda: _serve(args.server, options))


def _serve(server: str, options: ServeOptions) -> int:
    if options.log_config:
        apply_log_config(options.log_config)
    scheme = "https" if options.ssl else "http"
    target = ("riir_airflow.broker.proxy_headers:create_broker_behind_proxy" if options.proxy_headers
              else "riir_airflow.broker.front:create_broker")  # fmt: skip
    print(f"riir-airflow broker on {scheme}://{options.host}:{options.port} ({server}, {options.workers} worker(s))",
          flush=True)  # fmt: skip
    if server == "uvicorn":
        try:
            import uvicorn
        except ImportError:
            print("error: --server uvicorn needs uvicorn: pip install 'riir-airflow[uvicorn]'", file=sys.stderr)
            return 1
        import ssl as ssl_module

        tls: dict[str, Any] = {}
        if options.ssl:
            reqs = {"none": ssl_module.CERT_NONE, "optional": ssl_module.CERT_OPTIONAL,
                    "required": ssl_module.CERT_REQUIRED}[options.ssl.cert_reqs]  # fmt: skip
            tls = {"ssl_certfile": options.ssl.cert, "ssl_keyfile": options.ssl.key, "ssl_ca_certs": options.ssl.ca,
                   "ssl_cert_reqs": reqs}  # fmt: skip
        uvicorn.run("riir_airflow.broker.front:create_broker", factory=True, host=options.host, port=options.port,
                    workers=options.workers, log_level="warning", timeout_graceful_shutdown=options.grace,
                    proxy_headers=options.proxy_headers, log_config=options.log_config, reload=options.dev,
                    **tls)  # fmt: skip
        return 0
    if options.dev:
        print(
            f"Starting the API server on port {options.port} and host {options.host} in development mode.", flush=True
        )
    if options.workers == 1 and not options.dev:
        return _serve_in_this_process(options)
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        target, address=options.host, port=options.port, workers=options.workers, interface=Interfaces.ASGI,
        factory=True, workers_kill_timeout=options.grace, log_access=False, **_granian_tls(options.ssl),
        **_hot_reload(options.dev),
    ).serve()  # fmt: skip
    return 0


def _hot_reload(dev: bool) -> dict[str, Any]:
    """`--dev`: granian's reloader (watchfiles) restarts the worker when a Python file of riir_airflow changes."""
    if not dev:
        return {}
    import riir_airflow

    return {"reload": True, "reload_paths": [Path(riir_airflow.__file__).parent]}


def _granian_tls(ssl: TlsFiles | None) -> dict[str, Any]:
    if ssl is None:
        return {}
    return {"ssl_cert": Path(ssl.cert), "ssl_key": Path(ssl.key), "ssl_ca": Path(ssl.ca) if ssl.ca else None,
            "ssl_client_verify": ssl.cert_reqs == "required"}  # fmt: skip


# Optional packages granian's package imports whenever they are installed, which its embedded one-worker server
# never uses (.env files, process titles, reloading on file changes; anyio not at all): ~1 MB of an idle broker.
GRANIAN_EXTRAS_UNUSED_EMBEDDED = ("anyio", "dotenv", "setproctitle", "watchfiles")


@contextlib.contextmanager
def _absent(names: tuple[str, ...]) -> Iterator[None]:
    """While inside, importing any of `names` that is not imported yet raises ImportError (as if not installed);
    afterwards they import again as usual (FastAPI's own anyio, once the API is built)."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # the import system's "not importable" marker
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


def _serve_in_this_process(options: ServeOptions) -> int:
    """One worker: granian's embedded server runs the app on this process's event loop.

    Granian's process mode would fork a worker from a supervising master, so an idle broker would be two Python
    processes (two interpreters' memory) for no gain: one worker cannot be restarted without dropping its requests
    anyway. SIGTERM / SIGINT stop it gracefully as in process mode.
    """
    import signal

    with _absent(GRANIAN_EXTRAS_UNUSED_EMBEDDED):
        from granian.constants import Interfaces
        from granian.server.embed import Server

    from riir_airflow.broker.front import create_broker

    async def serve() -> None:
        app: Any = create_broker()
        if options.proxy_headers:
            from riir_airflow.broker.proxy_headers import ProxyHeaders

            app = ProxyHeaders(app)
        server = Server(app, address=options.host, port=options.port, interface=Interfaces.ASGI, log_access=False,
                        **_granian_tls(options.ssl))  # fmt: skip
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, server.stop)
        await server.serve()

    # the embedded server finishes in-flight requests on stop; it has no kill timeout to set
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
    # app).
    parser.add_argument("--apps", default="all", help="Airflow's API apps to serve: 'core' or 'all' (the broker "
                        "has no 'execution' API)")  # fmt: skip
    parser.add_argument(
        "-t", "--worker-timeout", type=int, help="Accepted for compatibility (workers start in-process)"
    )
    parser.add_argument("-d", "--dev", action="store_true", help="Start in development mode with hot-reload enabled "
                        "(restarts when riir-airflow's own Python files change)")  # fmt: skip
    parser.add_argument("--proxy-headers", action="store_true", help="Take the client address and scheme from "
                        "X-Forwarded-For / X-Forwarded-Proto sent by a trusted proxy (FORWARDED_ALLOW_IPS, default "
                        "127.0.0.1)")  # fmt: skip
    parser.add_argument("--log-config", help="(Optional) Path to the logging configuration file (JSON or YAML dict "
                        "config, or INI) (default: [api] log_config)")  # fmt: skip
    parser.add_argument("--ssl-cert", help="Path to the SSL certificate for the webserver (default: [api] ssl_cert)")
    parser.add_argument("--ssl-key", help="Path to the key to use with the SSL certificate (default: [api] ssl_key)")
    parser.add_argument("--ssl-ca-file", help="(Optional) Path to the SSL CA file (default: [api] ssl_ca_file)")
    parser.add_argument("--ssl-cert-reqs", choices=("none", "optional", "required"),
                        help="(Optional) Set certificate verification options ([api] ssl_cert_reqs)")  # fmt: skip
    parser.add_argument("-D", "--daemon", action="store_true", help="Daemonize instead of running in the foreground")
    parser.add_argument("--pid", nargs="?", help="PID file location")
    parser.add_argument("--stdout", help="Redirect stdout to this file")
    parser.add_argument("--stderr", help="Redirect stderr to this file")
    parser.add_argument("-l", "--log-file", help="Location of the log file")
    parser.set_defaults(func=run)


def unsupported_flag(args: argparse.Namespace) -> str | None:
    if getattr(args, "apps", "all") not in ("all", "core"):
        return f"--apps {args.apps}: the broker serves the core API only (tasks talk to their DAG app)"
    return None
