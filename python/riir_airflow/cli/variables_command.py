"""`riir-airflow variables list|get|set|delete|import|export`, as `airflow variables ...` (same messages)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from riir_airflow.cli.file_formats import load_key_values
from riir_airflow.cli.metastore_access import with_db
from riir_airflow.cli.output import add_output_argument, add_verbose_argument, print_as
from riir_airflow.cli.progress import Progress

SENSITIVE_PLACEHOLDER = "***"


def cmd_list(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import secrets

    if args.hide_sensitive and not args.show_values:
        raise SystemExit("--hide-sensitive can only be used with --show-values")

    async def work(db: Any) -> list[Any]:
        page = await secrets.list_variables(db, limit=1_000_000)
        return page.items

    variables = with_db(work)
    if not args.show_values:
        print_as([{"key": v.key} for v in variables], args.output)
        return 0
    print_as(
        [{"key": v.key, "val": SENSITIVE_PLACEHOLDER if args.hide_sensitive else (v.val or "")} for v in variables],
        args.output,
    )
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import secrets

    async def work(db: Any) -> Any:
        return await secrets.get_variable(db, args.key)

    value = with_db(work)
    if value is None:
        if args.default is None:
            raise SystemExit(f"Variable {args.key} does not exist.")
        value = args.default
    elif args.json:
        try:
            value = json.loads(value)
        except ValueError as err:
            raise SystemExit(f"Variable {args.key} is not JSON: {err}") from None
    print(value)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import secrets

    value = json.dumps(args.value, indent=2) if args.json else args.value

    async def work(db: Any) -> None:
        await secrets.set_variable(db, args.key, value, description=args.description)

    with_db(work)
    print(f"Variable {args.key} created")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import secrets

    async def work(db: Any) -> bool:
        return await secrets.delete_variable(db, args.key)

    with_db(work)
    print(f"Variable {args.key} deleted")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import secrets

    variables = load_key_values(args.file, "variables")
    action = args.action_on_existing_key

    async def work(db: Any) -> tuple[int, int, list[str]]:
        existing = set()
        if action != "overwrite":
            existing = {v.key for v in (await secrets.list_variables(db, limit=1_000_000)).items} & set(variables)
        if action == "fail" and existing:
            raise SystemExit(f"Failed. These keys: {sorted(existing)} already exists.")
        ok = failed = 0
        skipped = []
        progress = Progress("Importing variables", len(variables))
        for key, entry in variables.items():
            progress.step()
            if key in existing:
                skipped.append(key)
                continue
            value, description = entry, None
            if isinstance(entry, dict) and "value" in entry:
                value, description = entry["value"], entry.get("description")
            text = value if isinstance(value, str) else json.dumps(value, indent=2)
            try:
                await secrets.set_variable(db, key, text, description=description)
            except Exception as err:  # reported per key, as Airflow does; the others are still imported
                print(f"Variable import failed: {err!r}")
                failed += 1
            else:
                ok += 1
        progress.done()
        return ok, failed, skipped

    ok, failed, skipped = with_db(work)
    print(f"{ok} of {len(variables)} variables successfully updated.")
    if failed:
        print(f"{failed} variable(s) failed to be updated.")
    if skipped:
        print(f"The variables with these keys: {sorted(skipped)} were skipped because they already exists")
    return 1 if failed else 0


def cmd_export(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import secrets

    async def work(db: Any) -> list[Any]:
        return (await secrets.list_variables(db, limit=1_000_000)).items

    exported: dict[str, Any] = {}
    for var in with_db(work):
        # Mirrors the import: JSON values come back as JSON, a description keeps the {value, description} form.
        try:
            value = json.loads(var.val) if var.val is not None else None
        except ValueError:
            value = var.val
        if isinstance(value, str):
            value = var.val
        if var.description or (isinstance(value, dict) and "value" in value):
            exported[var.key] = {"value": value, "description": var.description}
        else:
            exported[var.key] = value
    text = json.dumps(exported, sort_keys=True, indent=4)
    if args.file == "-":
        sys.stdout.write(text)
        print(f"\n{len(exported)} Variables successfully exported.", file=sys.stderr)
    else:
        with open(args.file, "w") as f:
            f.write(text)
        print(f"{len(exported)} Variables successfully exported to {args.file}.")
    return 0


def register(groups: Any) -> None:
    parser = groups.add_parser("variables", help="Manage variables")
    commands = parser.add_subparsers(dest="variables_command", metavar="COMMAND", required=True)

    p = commands.add_parser("list", help="List variables")
    p.add_argument("--show-values", action="store_true", help="Show variable values (may include sensitive data)")
    p.add_argument("--hide-sensitive", action="store_true", help="Mask all values (use with --show-values)")
    add_output_argument(p)
    add_verbose_argument(p)
    p.set_defaults(func=cmd_list)

    p = commands.add_parser("get", help="Get variable")
    p.add_argument("key", help="Variable key")
    p.add_argument("-j", "--json", action="store_true", help="Deserialize JSON variable")
    p.add_argument("-d", "--default", help="Default value returned if variable does not exist")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_get)

    p = commands.add_parser("set", help="Set variable")
    p.add_argument("key", help="Variable key")
    p.add_argument("value", help="Variable value")
    p.add_argument("--description", help="Variable description, optional when setting a variable")
    p.add_argument("-j", "--json", action="store_true", help="Serialize JSON variable")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_set)

    p = commands.add_parser("delete", help="Delete variable")
    p.add_argument("key", help="Variable key")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_delete)

    p = commands.add_parser("import", help="Import variables from a .json, .yaml or .env file")
    p.add_argument("file", help="Import variables from JSON file")
    p.add_argument(
        "-a", "--action-on-existing-key", choices=("overwrite", "fail", "skip"), default="overwrite",
        help="Action to take if we encounter a variable key that already exists.",
    )  # fmt: skip
    add_verbose_argument(p)
    p.set_defaults(func=cmd_import)

    p = commands.add_parser("export", help="Export all variables to a JSON file ('-' for stdout)")
    p.add_argument("file", help="Export all variables to JSON file")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_export)
