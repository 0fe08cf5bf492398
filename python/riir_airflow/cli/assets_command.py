"""`riir-airflow assets list|details|materialize`, as `airflow assets ...`. Assets are recorded in the metastore
when a DAG that schedules on them or produces them is stored (by its app or `dags reserialize`)."""

from __future__ import annotations

import argparse
from typing import Any

from riir_airflow.cli.metastore_access import with_db
from riir_airflow.cli.output import add_output_argument, add_verbose_argument, print_as

DEFAULT_COLUMNS = ("name", "uri", "group", "extra")


def asset_response(asset: Any, versions: dict[str, Any] | None = None) -> dict[str, Any]:
    """Airflow's AssetResponse; the DAGs scheduled on it and the tasks producing or consuming it come from the
    serialized DAGs (`versions`: dag_id -> latest version)."""
    from riir_airflow.metastore.serialized_dag import asset_references

    key = (asset.name, asset.uri)
    refs = {dag_id: asset_references(v.data) for dag_id, v in (versions or {}).items()}
    stamp = {"created_at": asset.created_at.isoformat(), "updated_at": asset.updated_at.isoformat()}
    return {"id": asset.id, "name": asset.name, "uri": asset.uri, "group": asset.group, "extra": asset.extra or {},
            **stamp,
            "scheduled_dags": [{"dag_id": d, **stamp} for d, r in sorted(refs.items()) if key in r.schedule],
            "producing_tasks": [{"dag_id": d, "task_id": t, **stamp} for d, r in sorted(refs.items())
                                for t in sorted(r.producers.get(key, ()))],
            "consuming_tasks": [{"dag_id": d, "task_id": t, **stamp} for d, r in sorted(refs.items())
                                for t in sorted(r.consumers.get(key, ()))],
            "aliases": [], "watchers": [], "last_asset_event": None}  # fmt: skip


async def _assets(db: Any) -> list[Any]:
    from riir_airflow.metastore import api_queries

    page = await api_queries.list_assets(db, name_pattern=None, uri_pattern=None, order_by=["name"], limit=1_000_000,
                                         offset=0)  # fmt: skip
    return page.items


def cmd_list(args: argparse.Namespace) -> int:
    if args.alias:
        raise SystemExit("Asset aliases are not recorded by riir-airflow")
    columns = args.columns or list(DEFAULT_COLUMNS)
    print_as(with_db(_assets), args.output, lambda a: {c: v for c, v in asset_response(a).items() if c in columns})
    return 0


def _one(assets: list[Any], name: str, uri: str) -> Any:
    if not name and not uri:
        raise SystemExit("Either --name or --uri is required")
    parts = ([f"name {name}"] if name else []) + ([f"URI {uri}"] if uri else [])
    message = " and ".join(parts)
    found = [a for a in assets if (not name or a.name == name) and (not uri or a.uri == uri)]
    if not found:
        raise SystemExit(f"Asset with {message} does not exist.")
    if len(found) > 1:
        raise SystemExit(f"More than one asset exists with {message}.")
    return found[0]


def cmd_details(args: argparse.Namespace) -> int:
    if args.alias:
        raise SystemExit("Asset aliases are not recorded by riir-airflow")
    from riir_airflow.metastore import api_queries, queries

    async def work(db: Any) -> tuple[list[Any], dict[str, Any]]:
        dags = (await queries.list_dags(db, limit=1_000_000)).items
        return await _assets(db), await api_queries.latest_versions(db, [d.dag_id for d in dags])

    assets, versions = with_db(work)
    details = asset_response(_one(assets, args.name, args.uri), versions)
    if args.output in ("table", "plain"):
        print_as([{"property_name": k, "property_value": v} for k, v in details.items()], args.output)
    else:
        print_as([details], args.output)
    return 0


def cmd_materialize(args: argparse.Namespace) -> int:
    """Triggers the one DAG whose tasks have the asset as an outlet (read from the serialized DAGs)."""
    import getpass

    import pendulum

    from riir_airflow.metastore import api_queries, queries
    from riir_airflow.metastore.serialized_dag import asset_references, new_task_instances

    async def work(db: Any) -> Any:
        asset = _one(await _assets(db), args.name, args.uri)
        dags = (await queries.list_dags(db, limit=1_000_000)).items
        versions = await api_queries.latest_versions(db, [d.dag_id for d in dags])
        producers = [d for d, v in versions.items() if (asset.name, asset.uri) in asset_references(v.data).producers]
        message = " and ".join(([f"name {args.name}"] if args.name else []) + ([f"URI {args.uri}"] if args.uri else []))
        if not producers:
            raise SystemExit(f"Asset with {message} does not exist.")
        if len(producers) > 1:
            raise SystemExit(f"More than one DAG materializes asset with {message}.")
        dag_id = producers[0]
        now = pendulum.now("UTC")
        version = versions[dag_id]
        return await queries.create_dag_run(
            db, dag_id, f"asset_materialization__{now.isoformat()}", run_type="manual",
            tasks=new_task_instances(version.data, None, "manual"), run_after=now, dag_version_id=version.id,
            triggered_by="cli",
            triggering_user_name=getpass.getuser(),
        )  # fmt: skip

    run = with_db(work)
    print_as([{"dag_run_id": run.run_id, "dag_id": run.dag_id, "logical_date": run.logical_date,
               "queued_at": run.queued_at, "run_after": run.run_after, "run_type": run.run_type,
               "state": run.state, "triggered_by": run.triggered_by, "conf": run.conf}], args.output)  # fmt: skip
    return 0


def register(groups: Any) -> None:
    parser = groups.add_parser("assets", help="Manage assets")
    commands = parser.add_subparsers(dest="assets_command", metavar="COMMAND", required=True)

    p = commands.add_parser("list", help="List assets")
    p.add_argument("--alias", action="store_true", help="Show asset alias")
    p.add_argument("--columns", type=lambda s: [c.strip() for c in s.split(",") if c.strip()],
                   help=f"List of columns to render. (default: {list(DEFAULT_COLUMNS)})")  # fmt: skip
    add_output_argument(p)
    add_verbose_argument(p)
    p.set_defaults(func=cmd_list)

    for name, text, func in (("details", "Show asset details", cmd_details),
                             ("materialize", "Materialize an asset", cmd_materialize)):  # fmt: skip
        p = commands.add_parser(name, help=text)
        if name == "details":
            p.add_argument("--alias", action="store_true", help="Show asset alias")
        p.add_argument("--name", default="", help="Asset name")
        p.add_argument("--uri", default="", help="Asset URI")
        add_output_argument(p)
        add_verbose_argument(p)
        p.set_defaults(func=func)
