"""`riir-airflow providers install|list|get|hooks|links|triggers|notifications|widgets|behaviours`.

`install` is riir's own: it installs provider distributions and their requirements, but never Apache Airflow
(see `provider_install.py`). The others print what `airflow providers ...` prints, with the same columns and keys.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from riir_airflow.cli.output import print_rows
from riir_airflow.cli.provider_listing import description

ERROR_IMPORTING_HOOK = "Error when importing hook!"


def _manager() -> Any:
    from riir_airflow.plugins.providers_manager import ProvidersManager

    return ProvidersManager()


def install(args: argparse.Namespace) -> int:
    from riir_airflow.cli.provider_install import ProviderInstallError
    from riir_airflow.cli.provider_install import install as install_providers

    try:
        plan = install_providers(args.distributions, upgrade=args.upgrade)
    except ProviderInstallError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for name, wheel in sorted(plan.provider_wheels.items()):
        print(f"installed {name} ({wheel.name})")
    if plan.skipped:
        print(f"not installed (riir-airflow provides them): {', '.join(sorted(plan.skipped))}")
    return 0


def list_providers(args: argparse.Namespace) -> int:
    rows = [
        {"package_name": name, "description": description(info.data), "version": info.version}
        for name, info in _manager().providers.items()
    ]
    print_rows(rows, args.output, ["package_name", "description", "version"])
    return 0


def get_provider(args: argparse.Namespace) -> int:
    providers = _manager().providers
    info = providers.get(args.provider_name)
    if info is None:
        print(f"No such provider installed: {args.provider_name}", file=sys.stderr)
        return 1
    if args.full:
        if args.output == "json":
            print(json.dumps([info.data], indent=2))
        else:
            print_rows([dict(info.data)], args.output, list(info.data))
        return 0
    print_rows([{"Provider": args.provider_name, "Version": info.version}], args.output, ["Provider", "Version"])
    return 0


def list_hooks(args: argparse.Namespace) -> int:
    manager = _manager()
    rows = []
    for conn_type, hook in manager.hooks.items():
        rows.append(
            {
                "connection_type": conn_type,
                "class": hook.hook_class_name if hook else ERROR_IMPORTING_HOOK,
                "conn_id_attribute_name": hook.connection_id_attribute_name if hook else ERROR_IMPORTING_HOOK,
                "package_name": hook.package_name if hook else ERROR_IMPORTING_HOOK,
                "hook_name": hook.hook_name if hook else ERROR_IMPORTING_HOOK,
            }
        )
    print_rows(rows, args.output, ["connection_type", "class", "conn_id_attribute_name", "package_name", "hook_name"])
    return 0


def list_links(args: argparse.Namespace) -> int:
    print_rows([{"extra_link_class_name": n} for n in _manager().extra_links_class_names], args.output,
               ["extra_link_class_name"])  # fmt: skip
    return 0


def list_triggers(args: argparse.Namespace) -> int:
    rows = [
        {"package_name": t.package_name, "class": t.trigger_class_name, "integration_name": t.integration_name}
        for t in _manager().trigger
    ]
    print_rows(rows, args.output, ["package_name", "class", "integration_name"])
    return 0


def list_notifications(args: argparse.Namespace) -> int:
    rows = [{"notification_class_name": n.notification_class_name} for n in _manager().notification]
    print_rows(rows, args.output, ["notification_class_name"])
    return 0


def list_widgets(args: argparse.Namespace) -> int:
    rows = [
        {
            "connection_parameter_name": name,
            "class": widget.hook_class_name,
            "package_name": widget.package_name,
            "field_type": widget.field.get("schema", {}).get("type", "unknown"),
        }
        for name, widget in sorted(_manager().connection_form_widgets.items())
    ]
    print_rows(rows, args.output, ["connection_parameter_name", "class", "package_name", "field_type"])
    return 0


def list_behaviours(args: argparse.Namespace) -> int:
    print_rows([{"field_behaviours": name} for name in _manager().field_behaviours], args.output, ["field_behaviours"])
    return 0


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", choices=["table", "json", "plain"], default="table",
                        help="Output format. Allowed values: json, plain, table (default: table)")  # fmt: skip
    parser.add_argument("-v", "--verbose", action="store_true", help="Make logging output more verbose")


def register(groups: Any) -> None:
    parser = groups.add_parser("providers", help="Display providers")
    commands = parser.add_subparsers(dest="providers_command", metavar="COMMAND", required=True)

    inst = commands.add_parser(
        "install", help="Install provider distributions and their requirements, without Apache Airflow itself"
    )
    inst.add_argument(
        "distributions", nargs="+", metavar="DIST",
        help="apache-airflow-providers-... (optionally with [extras] and a version specifier) or a .whl",
    )  # fmt: skip
    inst.add_argument("--upgrade", action="store_true", help="Upgrade the providers' requirements too")
    inst.set_defaults(func=install)

    for name, func, help_text in (
        ("list", list_providers, "List installed providers"),
        ("hooks", list_hooks, "List registered provider hooks"),
        ("links", list_links, "List extra links registered by the providers"),
        ("triggers", list_triggers, "List registered provider triggers"),
        ("notifications", list_notifications, "Get information about notifications provided"),
        ("widgets", list_widgets, "Get information about registered connection form widgets"),
        ("behaviours", list_behaviours, "Get information about registered connection types with custom behaviours"),
    ):
        command = commands.add_parser(name, help=help_text)
        _output(command)
        command.set_defaults(func=func)

    get = commands.add_parser("get", help="Get detailed information about a provider")
    get.add_argument("provider_name", help="Provider name, required to get provider information")
    get.add_argument("-f", "--full", action="store_true", help="Full information about the provider, including "
                     "documentation information.")  # fmt: skip
    get.add_argument("-c", "--color", choices=["auto", "on", "off"], default="auto", help="Do emit colored output")
    _output(get)
    get.set_defaults(func=get_provider)
