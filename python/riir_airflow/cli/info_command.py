"""`riir-airflow info`, as `airflow info`: versions, where things are, the metastore and the tools around."""

from __future__ import annotations

import argparse
import locale
import os
import platform
import re
import shutil
import subprocess
import sys
from typing import Any

from riir_airflow.cli.output import add_output_argument, add_verbose_argument, print_as


def _tool_version(command: list[str]) -> str:
    if shutil.which(command[0]) is None:
        return "NOT AVAILABLE"
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError as err:
        return f"Error: {err}"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else "unknown"


def _anonymize(value: str, enabled: bool) -> str:
    if not enabled:
        return value
    value = value.replace(os.path.expanduser("~"), "${HOME}")
    return re.sub(r"://([^:/@]+)(:[^@]*)?@", "://p...s:PASSWORD@", value)


def sections(anonymize: bool) -> list[tuple[str, list[tuple[str, Any]]]]:
    from riir_airflow import __version__
    from riir_airflow.config import conf
    from riir_airflow.metastore.pool import normalize_dsn

    url = (conf.get("database", "sql_alchemy_conn", fallback="") or "").strip()
    database = normalize_dsn(url)[0] if url else f"embedded PostgreSQL under {conf.airflow_home}/embedded-postgres"
    riir = [
        ("version", __version__),
        ("executor", "DAG apps (one per DAG file; tries run in forked processes)"),
        ("sql_alchemy_conn", _anonymize(database, anonymize)),
        ("dags_folder", _anonymize(conf.get("core", "dags_folder", fallback="") or "", anonymize)),
        ("plugins_folder", _anonymize(conf.get("core", "plugins_folder", fallback="") or "", anonymize)),
        ("base_log_folder", _anonymize(conf.get("logging", "base_log_folder", fallback="") or "", anonymize)),
        ("task_logs", "in the metastore (table task_log), served by the broker"),
    ]
    system = [
        ("OS", platform.system()),
        ("architecture", platform.machine()),
        ("uname", str(platform.uname()) if not anonymize else platform.system()),
        ("locale", str(locale.getlocale())),
        ("python_version", sys.version.replace("\n", " ")),
        ("python_location", _anonymize(sys.executable, anonymize)),
    ]
    tools = [(name, _tool_version(cmd)) for name, cmd in (
        ("git", ["git", "--version"]), ("ssh", ["ssh", "-V"]), ("kubectl", ["kubectl", "version", "--client"]),
        ("psql", ["psql", "--version"]), ("pgbouncer", ["pgbouncer", "--version"]),
    )]  # fmt: skip
    paths = [
        ("airflow_home", _anonymize(str(conf.airflow_home), anonymize)),
        ("system_path", _anonymize(os.environ.get("PATH", ""), anonymize)),
        ("python_path", _anonymize(os.pathsep.join(sys.path), anonymize)),
        ("riir_airflow_on_path", str(shutil.which("riir-airflow") is not None)),
    ]
    return [("riir-airflow", riir), ("System info", system), ("Tools info", tools), ("Paths info", paths)]


def cmd_info(args: argparse.Namespace) -> int:
    info = sections(args.anonymize)
    if args.file_io:
        raise SystemExit("--file-io (uploading the report to file.io) is not supported; use -o json")
    if args.output in ("json", "yaml"):
        print_as([{title.lower().replace(" ", "_"): dict(rows) for title, rows in info}], args.output)
        return 0
    for title, rows in info:
        print(f"\n{title}")
        print_as([{"key": k, "value": v} for k, v in rows], "plain" if args.output == "plain" else "table")
    return 0


def register(groups: Any) -> None:
    p = groups.add_parser("info", help="Show information about current riir-airflow and environment")
    p.add_argument("--anonymize", action="store_true", help="Minimize any personal identifiable information. Use it "
                   "when sharing output with others.")  # fmt: skip
    p.add_argument("--file-io", action="store_true", help="Send output to file.io service and returns link.")
    add_output_argument(p)
    add_verbose_argument(p)
    p.set_defaults(func=cmd_info)
