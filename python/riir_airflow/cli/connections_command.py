"""`riir-airflow connections list|get|add|delete|import|export|test|create-default-connections`, as
`airflow connections ...`: same columns, file formats and messages."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import replace
from typing import Any

from riir_airflow.cli.file_formats import load_key_values
from riir_airflow.cli.metastore_access import with_db
from riir_airflow.cli.output import add_output_argument, add_verbose_argument, print_as
from riir_airflow.cli.progress import Progress

SENSITIVE_PLACEHOLDER = "***"
_KEY_PATTERN = re.compile(r"^[\w.-]+$")


def _extra_dejson(conn: Any) -> Any:
    if not conn.extra:
        return {}
    try:
        return json.loads(conn.extra)
    except ValueError:
        return {}


def full_details(conn: Any) -> dict[str, Any]:
    from riir_airflow.metastore.secrets import connection_to_uri

    return {
        "id": None, "conn_id": conn.conn_id, "conn_type": conn.conn_type, "description": conn.description,
        "host": conn.host, "schema": conn.schema, "login": conn.login, "password": conn.password, "port": conn.port,
        "is_encrypted": conn.is_encrypted, "is_extra_encrypted": conn.is_encrypted,
        "extra_dejson": _extra_dejson(conn), "get_uri": connection_to_uri(conn),
    }  # fmt: skip


def masked(conn: Any) -> dict[str, Any]:
    from riir_airflow.metastore.secrets import connection_to_uri

    details = full_details(conn)
    uri = connection_to_uri(conn)
    if conn.login or conn.password:  # Airflow masks the whole user info: scheme://***:***@host
        uri = re.sub(r"^([^:/]+://)[^@/]*@", rf"\1{SENSITIVE_PLACEHOLDER}:{SENSITIVE_PLACEHOLDER}@", uri)
    details.update(password=SENSITIVE_PLACEHOLDER if conn.password else conn.password,
                   extra_dejson=SENSITIVE_PLACEHOLDER if details["extra_dejson"] else details["extra_dejson"],
                   get_uri=uri)  # fmt: skip
    return details


async def _all(db: Any) -> list[Any]:
    from riir_airflow.metastore import secrets

    return (await secrets.list_connections(db, limit=1_000_000)).items


def cmd_list(args: argparse.Namespace) -> int:
    if args.hide_sensitive and not args.show_values:
        raise SystemExit("--hide-sensitive can only be used with --show-values")
    conns = with_db(_all)
    if not args.show_values:
        print_as(conns, args.output, lambda c: {"conn_id": c.conn_id, "conn_type": c.conn_type})
    else:
        print_as(conns, args.output, masked if args.hide_sensitive else full_details)
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import secrets

    async def work(db: Any) -> Any:
        return await secrets.get_connection(db, args.conn_id)

    conn = with_db(work)
    if conn is None:
        raise SystemExit("Connection not found.")
    print_as([conn], args.output, full_details)
    return 0


def _validate_id(conn_id: str) -> None:
    if len(conn_id) > 200 or not _KEY_PATTERN.match(conn_id):
        raise SystemExit(
            f"Could not create connection. The key {conn_id!r} has to be made of alphanumeric characters, dashes, "
            "dots and underscores exclusively"
        )


def _connection_from_args(args: argparse.Namespace) -> Any:
    from riir_airflow.metastore.records import ConnectionRecord
    from riir_airflow.metastore.secrets import connection_from_uri

    _validate_id(args.conn_id)
    if not args.conn_type and not (args.conn_json or args.conn_uri):
        raise SystemExit("Must supply either conn-uri or conn-json if not supplying conn-type")
    if args.conn_json and args.conn_uri:
        raise SystemExit("Cannot supply both conn-uri and conn-json")
    if args.conn_uri or args.conn_json:
        if args.conn_uri and "://" not in args.conn_uri:
            raise SystemExit(f"The URI provided to --conn-uri is invalid: {args.conn_uri}")
        specs = ("conn_type", "conn_host", "conn_login", "conn_password", "conn_schema", "conn_port")
        invalid = [s for s in specs if getattr(args, s) is not None]
        if args.conn_json and args.conn_extra:
            invalid.append("--conn-extra")
        if invalid:
            flag = "uri" if args.conn_uri else "json"
            raise SystemExit(f"The following args are not compatible with the --conn-{flag} flag: {invalid!r}")
    if args.conn_uri:
        conn = replace(connection_from_uri(args.conn_id, args.conn_uri), description=args.conn_description)
    elif args.conn_json:
        conn = _from_dict(args.conn_id, _json_object(args.conn_json, "--conn-json"))
        if not conn.conn_type:
            raise SystemExit("conn-json is invalid; must supply conn-type")
    else:
        conn = ConnectionRecord(conn_id=args.conn_id, conn_type=args.conn_type, description=args.conn_description,
                                host=args.conn_host, login=args.conn_login, password=args.conn_password,
                                schema=args.conn_schema, port=args.conn_port)  # fmt: skip
    if args.conn_extra is not None:
        _json_object(args.conn_extra, "--conn-extra")
        conn = replace(conn, extra=args.conn_extra)
    return conn


def _json_object(text: str, flag: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as err:
        raise SystemExit(f"{flag} is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise SystemExit(f"{flag} must be a JSON object")
    return value


def _from_dict(conn_id: str, spec: dict[str, Any]) -> Any:
    from riir_airflow.metastore.records import ConnectionRecord

    extra = spec.get("extra")
    if isinstance(extra, dict):
        extra = json.dumps(extra)
    port = spec.get("port")
    return ConnectionRecord(
        conn_id=conn_id, conn_type=spec.get("conn_type") or "", description=spec.get("description"),
        host=spec.get("host"), schema=spec.get("schema"), login=spec.get("login"), password=spec.get("password"),
        port=int(port) if port not in (None, "") else None, extra=extra,
    )  # fmt: skip


def cmd_add(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import secrets

    conn = _connection_from_args(args)

    async def work(db: Any) -> bool:
        if await secrets.get_connection_record(db, conn.conn_id) is not None:
            return False
        await secrets.set_connection(db, conn)
        return True

    if not with_db(work):
        raise SystemExit(f"A connection with `conn_id`={conn.conn_id} already exists.")
    print(f"Successfully added `conn_id`={conn.conn_id}")
    extra = _extra_dejson(conn)
    print_as([conn], "table", lambda c: {"conn_id": c.conn_id, "conn_type": c.conn_type, "host": c.host,
                                         "login": c.login, "port": c.port,
                                         "extra": dict.fromkeys(extra, SENSITIVE_PLACEHOLDER)})  # fmt: skip
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import secrets

    async def work(db: Any) -> bool:
        return await secrets.delete_connection(db, args.conn_id)

    if not with_db(work):
        raise SystemExit(f"Did not find a connection with `conn_id`={args.conn_id}")
    print(f"Successfully deleted connection with `conn_id`={args.conn_id}")
    return 0


def _as_dict(conn: Any) -> dict[str, Any]:
    return {"conn_type": conn.conn_type, "description": conn.description, "login": conn.login,
            "password": conn.password, "host": conn.host, "port": conn.port, "schema": conn.schema,
            "extra": conn.extra}  # fmt: skip


def cmd_export(args: argparse.Namespace) -> int:
    from riir_airflow.metastore.secrets import connection_to_uri

    formats = (".yaml", ".json", ".env")
    chosen = f".{args.file_format or args.format}".lower() if (args.file_format or args.format) else None
    if args.format and args.file_format:
        raise SystemExit("Option `--format` is deprecated.  Use `--file-format` instead.")
    to_stdout = args.file == "-"
    file_type = chosen or (".json" if to_stdout else os.path.splitext(args.file)[1].lower())
    if file_type not in formats:
        raise SystemExit(f"Unsupported file format. The file must have the extension {', '.join(formats)}.")
    if args.serialization_format and file_type != ".env":
        raise SystemExit("Option `--serialization-format` may only be used with file type `env`.")
    conns = with_db(_all)
    if file_type == ".env":
        serialize = (lambda c: json.dumps(_as_dict(c))) if args.serialization_format == "json" else connection_to_uri
        text = "".join(f"{c.conn_id}={serialize(c)}\n" for c in conns)
    elif file_type == ".yaml":
        import yaml

        text = yaml.dump({c.conn_id: _as_dict(c) for c in conns})
    else:
        text = json.dumps({c.conn_id: _as_dict(c) for c in conns}, indent=2)
    if to_stdout:
        sys.stdout.write(text)
        print(f"\n{len(conns)} Connections successfully exported.", file=sys.stderr)
    else:
        with open(args.file, "w") as f:
            f.write(text)
        print(f"{len(conns)} Connections successfully exported to {args.file}.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import secrets
    from riir_airflow.metastore.secrets import connection_from_uri

    entries = load_key_values(args.file, "connections")

    async def work(db: Any) -> None:
        progress = Progress("Importing connections", len(entries))
        for conn_id, spec in entries.items():
            progress.step()
            if len(conn_id) > 200 or not _KEY_PATTERN.match(conn_id):
                print(f"Could not import connection. The key {conn_id!r} has to be made of alphanumeric "
                      "characters, dashes, dots and underscores exclusively")  # fmt: skip
                continue
            if not args.overwrite and await secrets.get_connection_record(db, conn_id) is not None:
                print(f"Could not import connection {conn_id}: connection already exists.")
                continue
            conn = connection_from_uri(conn_id, spec) if isinstance(spec, str) else _from_dict(conn_id, spec)
            await secrets.set_connection(db, conn)
            print(f"Imported connection {conn_id}")
        progress.done()

    with_db(work)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from riir_airflow.config import conf
    from riir_airflow.metastore import secrets

    if (conf.get("core", "test_connection", fallback="Disabled") or "").lower().strip() != "enabled":
        print("\nTesting connections is disabled in Airflow configuration. Contact your deployment admin to enable "
              "it.\n")  # fmt: skip
        return 1
    print(f"Retrieving connection: {args.conn_id!r}")

    async def work(db: Any) -> Any:
        return await secrets.get_connection(db, args.conn_id)

    record = with_db(work)
    if record is None:
        print("\nConnection not found.\n")
        return 1
    from riir_airflow.authoring.connection import Connection

    print("\nTesting...")
    connection = Connection.from_uri(secrets.connection_to_uri(record), conn_id=args.conn_id)
    ok, message = connection.test_connection()
    if ok:
        print("\nConnection success!\n")
        return 0
    print(f"\nConnection failed!\n{message}\n")
    return 1


def cmd_create_default_connections(args: argparse.Namespace) -> int:
    """Airflow's default connections (metastore/default_connections.py); existing connections are left as they are."""
    from riir_airflow.metastore.default_connections import create_default_connections

    created, total = with_db(create_default_connections)
    print(f"Created {created} default connection(s) ({total - created} already existed)", file=sys.stderr)
    return 0


def register(groups: Any) -> None:
    parser = groups.add_parser("connections", help="Manage connections")
    commands = parser.add_subparsers(dest="connections_command", metavar="COMMAND", required=True)

    p = commands.add_parser("get", help="Get a connection")
    p.add_argument("conn_id", help="Connection id, required to get/add/delete/test a connection")
    p.add_argument("--color", choices=("on", "off", "auto"), default="auto", help="Do emit colored output")
    add_output_argument(p)
    add_verbose_argument(p)
    p.set_defaults(func=cmd_get)

    p = commands.add_parser("delete", help="Delete a connection")
    p.add_argument("conn_id", help="Connection id, required to get/add/delete/test a connection")
    p.add_argument("--color", choices=("on", "off", "auto"), default="auto", help="Do emit colored output")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_delete)

    p = commands.add_parser("add", help="Add a connection")
    p.add_argument("conn_id", help="Connection id, required to get/add/delete/test a connection")
    p.add_argument("--conn-description", help="Connection description, optional when adding a connection")
    p.add_argument("--conn-extra", help="Connection `Extra` field, optional when adding a connection")
    p.add_argument("--conn-host", help="Connection host, optional when adding a connection")
    p.add_argument("--conn-json", help="Connection JSON, required to add a connection using JSON representation")
    p.add_argument("--conn-login", help="Connection login, optional when adding a connection")
    p.add_argument("--conn-password", help="Connection password, optional when adding a connection")
    p.add_argument("--conn-port", type=int, help="Connection port, optional when adding a connection")
    p.add_argument("--conn-schema", help="Connection schema, optional when adding a connection")
    p.add_argument("--conn-type", help="Connection type, required to add a connection without conn_uri")
    p.add_argument("--conn-uri", help="Connection URI, required to add a connection without conn_type")
    p.set_defaults(func=cmd_add)

    p = commands.add_parser("export", help="Export all connections")
    p.add_argument("file", help="Output file path for exporting the connections ('-' for stdout)")
    p.add_argument("--file-format", choices=("json", "yaml", "env"), help="File format for the export")
    p.add_argument("--format", choices=("json", "yaml", "env"), help="Deprecated -- use `--file-format` instead")
    p.add_argument("--serialization-format", choices=("json", "uri"),
                   help="When exporting as `.env` format, defines how connections should be serialized")  # fmt: skip
    add_verbose_argument(p)
    p.set_defaults(func=cmd_export)

    p = commands.add_parser("import", help="Import connections from a file")
    p.add_argument("file", help="Import connections from a file")
    p.add_argument("--overwrite", action="store_true", help="Overwrite existing entries if a conflict occurs")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_import)

    p = commands.add_parser("list", help="List connections")
    p.add_argument("--show-values", action="store_true", help="Show connection details (may include secrets)")
    p.add_argument("--hide-sensitive", action="store_true", help="Mask passwords, extras and URIs")
    add_output_argument(p)
    add_verbose_argument(p)
    p.set_defaults(func=cmd_list)

    p = commands.add_parser("test", help="Test a connection")
    p.add_argument("conn_id", help="Connection id, required to get/add/delete/test a connection")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_test)

    p = commands.add_parser(
        "create-default-connections", help="Creates all the default connections from all the providers"
    )
    add_verbose_argument(p)
    p.set_defaults(func=cmd_create_default_connections)
