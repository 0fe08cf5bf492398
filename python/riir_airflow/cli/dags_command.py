"""`riir-airflow dags ...`, as `airflow dags ...`.

Where a database is configured (or the embedded one runs) the commands work against the metastore, as Airflow's
do: `list`, `details`, `list-runs`, `state`, `pause`, `trigger`, `delete`, `list-import-errors`; `reserialize`
writes the DAGs of the folder there. Commands about DAG code (`show`, `test`, `report`, `next-execution`,
`list -l`) read the DAG files. `dags test` runs with no database at all, and records its run in the metastore
when there is one.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from typing import TYPE_CHECKING, Any

from riir_airflow.cli.dag_lookup import (
    dag_record,
    find_dag,
    find_dag_in_bag,
    find_run,
    load_bag,
    parse,
    parse_date,
    report_import_errors,
)
from riir_airflow.cli.metastore_access import database_available, with_db
from riir_airflow.cli.output import add_output_argument, add_verbose_argument, print_as

if TYPE_CHECKING:
    from riir_airflow.metastore.records import DagRecord, DagVersionRecord

# Airflow's `dags list` columns by default (`--columns` picks others from DAG_DETAIL_FIELDS).
DEFAULT_LIST_COLUMNS = ("dag_id", "fileloc", "owners", "is_paused", "bundle_name", "bundle_version")
PERIODIC_TIMETABLES = ("CronDataIntervalTimetable", "CronTriggerTimetable", "DeltaDataIntervalTimetable",
                       "DeltaTriggerTimetable", "MultipleCronTriggerTimetable")  # fmt: skip


def _timetable_type(data: Any) -> str:
    schedule = data.get("schedule") if isinstance(data, dict) else None
    encoded = schedule.get("timetable") if isinstance(schedule, dict) else None
    return str(encoded.get("__type", "")).rsplit(".", 1)[-1] if isinstance(encoded, dict) else ""


def dag_response(dag: DagRecord, version: DagVersionRecord | None, *, has_import_errors: bool) -> dict[str, Any]:
    """Airflow's DAGResponse (what `airflow dags details|list` print): the same keys as the broker's GET /dags."""
    import hashlib

    from riir_airflow.schedules.serialized_timetables import serialized_timetable_partitioned

    periodic = _timetable_type(version.data if version is not None else None) in PERIODIC_TIMETABLES
    return {
        "dag_id": dag.dag_id, "dag_display_name": dag.dag_display_name or dag.dag_id, "is_paused": dag.is_paused,
        "is_stale": dag.is_stale, "last_parsed_time": dag.last_parsed_time, "last_parse_duration": None,
        "last_expired": None, "bundle_name": version.bundle_name if version else None,
        "bundle_version": version.bundle_version if version else None, "relative_fileloc": dag.relative_fileloc,
        "fileloc": dag.fileloc, "description": dag.description,
        # Airflow stores no summary for `schedule=None`; the serialized DAG says "None".
        "timetable_summary": None if dag.timetable_summary == "None" else dag.timetable_summary,
        "timetable_description": dag.timetable_description,
        "timetable_partitioned": serialized_timetable_partitioned(version.data if version is not None else None),
        "timetable_periodic": periodic,
        "tags": [{"name": t, "dag_id": dag.dag_id, "dag_display_name": dag.dag_display_name or dag.dag_id}
                 for t in dag.tags],
        "max_active_tasks": dag.max_active_tasks, "max_active_runs": dag.max_active_runs,
        "max_consecutive_failed_dag_runs": dag.max_consecutive_failed_dag_runs,
        "has_task_concurrency_limits": dag.has_task_concurrency_limits, "has_import_errors": has_import_errors,
        "next_dagrun_logical_date": dag.next_dagrun,
        "next_dagrun_data_interval_start": dag.next_dagrun_data_interval_start,
        "next_dagrun_data_interval_end": dag.next_dagrun_data_interval_end,
        "next_dagrun_run_after": dag.next_dagrun_create_after, "allowed_run_types": None,
        "owners": [o.strip() for o in dag.owners.split(",") if o.strip()], "is_backfillable": periodic,
        "file_token": hashlib.sha256(dag.fileloc.encode()).hexdigest()[:32],
    }  # fmt: skip


def local_dag_response(dag: Any) -> dict[str, Any]:
    """The same keys for a DAG read from its file (Airflow's `_get_dagbag_dag_details`)."""
    timetable = dag.timetable
    periodic = bool(getattr(timetable, "periodic", False))
    return {
        "dag_id": dag.dag_id, "dag_display_name": dag.dag_display_name, "bundle_name": None, "bundle_version": None,
        "is_paused": None, "is_stale": None, "last_parsed_time": None, "last_parse_duration": None,
        "last_expired": None, "relative_fileloc": dag.relative_fileloc, "fileloc": dag.fileloc, "file_token": None,
        "owners": dag.owner, "description": dag.description, "timetable_summary": str(timetable.summary),
        "timetable_description": getattr(timetable, "description", None),
        "timetable_partitioned": bool(getattr(timetable, "partitioned", False)),
        "timetable_periodic": periodic, "tags": sorted(dag.tags), "max_active_tasks": dag.max_active_tasks,
        "max_active_runs": dag.max_active_runs,
        "max_consecutive_failed_dag_runs": dag.max_consecutive_failed_dag_runs,
        "has_task_concurrency_limits": any(t.max_active_tis_per_dag is not None for t in dag.tasks),
        "has_import_errors": False, "next_dagrun_data_interval_start": None, "next_dagrun_data_interval_end": None,
        "next_dagrun_logical_date": None, "next_dagrun_run_after": None, "allowed_run_types": None,
        "is_backfillable": periodic,
    }  # fmt: skip


async def _import_errors(db: Any) -> dict[str, str]:
    """filename -> stack trace of the latest failure of each file that does not load now. A file that loaded
    since (its DAG's row was parsed after the failure) no longer counts."""
    from riir_airflow.metastore import queries

    events = (await queries.list_events(db, events=["import_error"], order_by="id", limit=1_000_000)).items
    latest: dict[str, Any] = {}
    for event in events:
        extra = event.extra if isinstance(event.extra, dict) else {}
        latest[str(extra.get("filename", ""))] = (event.dttm, str(extra.get("stack_trace", "")))
    parsed: dict[str, Any] = {}
    for dag in (await queries.list_dags(db, limit=1_000_000)).items:
        if dag.last_parsed_time is not None:
            parsed[dag.fileloc] = max(parsed.get(dag.fileloc, dag.last_parsed_time), dag.last_parsed_time)
    return {f: trace for f, (when, trace) in sorted(latest.items()) if f not in parsed or parsed[f] < when}


# --- list, details, import errors, report ----------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    columns = args.columns or list(DEFAULT_LIST_COLUMNS)
    if args.local or args.subdir or not database_available():
        bag = load_bag(args.subdir)
        records = [local_dag_response(d) for d in sorted(bag.dags.values(), key=lambda d: d.dag_id)]
        errors = len(bag.import_errors)
    else:
        from riir_airflow.metastore import api_queries, queries

        async def work(db: Any) -> tuple[list[dict[str, Any]], int]:
            dags = (await queries.list_dags(db, limit=1_000_000)).items
            versions = await api_queries.latest_versions(db, [d.dag_id for d in dags], light=True)
            errors = await _import_errors(db)
            return [dag_response(d, versions.get(d.dag_id), has_import_errors=False) for d in dags], len(errors)

        records, errors = with_db(work)
    invalid = [c for c in columns if records and c not in records[0]]
    if invalid:
        print(f"Error: Ignoring the following invalid columns: {invalid}.", file=sys.stderr)
    print_as(records, args.output, lambda r: {c: r[c] for c in columns if c in r})
    if errors:
        print("Error: Failed to load all files. For details, run `riir-airflow dags list-import-errors`",
              file=sys.stderr)  # fmt: skip
    return 0


def cmd_details(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import api_queries

    async def work(db: Any) -> dict[str, Any]:
        dag = await dag_record(db, args.dag_id)
        version = (await api_queries.latest_versions(db, [dag.dag_id], light=True)).get(dag.dag_id)
        errors = await _import_errors(db)
        return dag_response(dag, version, has_import_errors=dag.fileloc in errors)

    details = with_db(work)
    if args.output in ("table", "plain"):
        print_as([{"property_name": k, "property_value": v} for k, v in details.items()], args.output)
    else:
        print_as([details], args.output)
    return 0


def cmd_list_import_errors(args: argparse.Namespace) -> int:
    if args.local or args.subdir or not database_available():
        bag = load_bag(args.subdir)
        rows = [{"filepath": path, "error": error} for path, error in sorted(bag.import_errors.items())]
    else:
        rows = [
            {"bundle_name": "", "filepath": path, "error": error} for path, error in with_db(_import_errors).items()
        ]
    print_as(rows, args.output)
    return 1 if rows else 0


def cmd_report(args: argparse.Namespace) -> int:
    """Per DAG file: how long it took to load, its DAGs and tasks (Airflow's `dags report`)."""
    import datetime
    import os

    from riir_airflow import core_settings as settings
    from riir_airflow.dag_processing.loader import DagBag, list_py_files

    folder = os.path.abspath(args.subdir or settings.dags_folder())
    rows: list[dict[str, Any]] = []
    for path in list_py_files(folder):
        started = time.perf_counter()
        bag = DagBag(path)
        elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        if not bag.dags and not bag.import_errors:
            continue
        rows.append({"file": os.path.relpath(path, folder if os.path.isdir(folder) else os.path.dirname(folder)),
                     "duration": elapsed, "dag_num": len(bag.dags),
                     "task_num": sum(len(d.tasks) for d in bag.dags.values()),
                     "dags": sorted(bag.dags)})  # fmt: skip
    rows.sort(key=lambda r: float(r["duration"].total_seconds()), reverse=True)
    print_as(rows, args.output)
    return 0


def cmd_reserialize(args: argparse.Namespace) -> int:
    """Writes every DAG of the folder to the metastore (and its import errors), as `airflow dags reserialize`."""
    from riir_airflow.app.dag_store import record_import_errors, store_dag
    from riir_airflow.cli.progress import Progress

    bag = load_bag(args.subdir)
    report_import_errors(bag)

    async def work(db: Any) -> None:
        progress = Progress("Serializing DAGs", len(bag.dags))
        for dag in sorted(bag.dags.values(), key=lambda d: d.dag_id):
            await store_dag(db, dag, app_id=None)
            progress.step()
        progress.done()
        await record_import_errors(db, dict(bag.import_errors))

    with_db(work)
    print(f"Serialized {len(bag.dags)} DAG(s) to the metastore"
          + (f"; {len(bag.import_errors)} file(s) failed to load" if bag.import_errors else ""))  # fmt: skip
    return 1 if bag.import_errors else 0


# --- runs ------------------------------------------------------------------------------------------------------------
def cmd_list_runs(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import queries

    async def work(db: Any) -> list[Any]:
        await dag_record(db, args.dag_id)
        runs = await queries.list_dag_runs(
            db, dag_id=args.dag_id, states=[args.state.lower()] if args.state else (),
            logical_date_gte=parse_date(args.start_date) if args.start_date else None,
            logical_date_lte=parse_date(args.end_date) if args.end_date else None,
            order_by=["-run_after"], limit=1_000_000,
        )  # fmt: skip
        return [r for r in runs.items if not (args.no_backfill and r.run_type == "backfill")]

    print_as(with_db(work), args.output, lambda r: {
        "dag_id": r.dag_id, "run_id": r.run_id, "state": r.state, "run_after": r.run_after.isoformat(),
        "logical_date": r.logical_date.isoformat() if r.logical_date else "",
        "start_date": r.start_date.isoformat() if r.start_date else "",
        "end_date": r.end_date.isoformat() if r.end_date else "",
    })  # fmt: skip
    return 0


def cmd_list_jobs(args: argparse.Namespace) -> int:
    """riir-airflow has no scheduler jobs: the DAG apps are its long-running processes, listed in their place."""
    from riir_airflow.metastore import queries

    async def work(db: Any) -> list[dict[str, Any]]:
        if args.dag_id:
            await dag_record(db, args.dag_id)
        rows = []
        for app in sorted(await queries.list_apps(db), key=lambda a: a.started_at, reverse=True):
            state = "running" if app.state in ("running", "draining") else "success"
            if args.state and state != args.state:
                continue
            for dag_id in app.dag_ids:
                if not args.dag_id or dag_id == args.dag_id:
                    rows.append({"dag_id": dag_id, "state": state, "job_type": "DagApp",
                                 "start_date": str(app.started_at),
                                 "end_date": "None" if state == "running" else str(app.last_heartbeat)})  # fmt: skip
        return rows[: args.limit]

    print_as(with_db(work), args.output)
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    async def work(db: Any) -> Any:
        await dag_record(db, args.dag_id)
        return await find_run(db, args.dag_id, args.logical_date_or_run_id)

    run = with_db(work)
    if run is None:
        print(None)
    elif run.conf:
        print(f"{run.state}, {json.dumps(run.conf)}")
    else:
        print(run.state)
    return 0


def _parse_conf(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"Configuration {text!r} is not valid JSON. Error: {exc}") from None
    if not isinstance(value, dict):
        raise SystemExit(f"Configuration {text!r} must be a JSON object")
    return value


def cmd_trigger(args: argparse.Namespace) -> int:
    """Creates the run and its task instances at once (they list straight away); the DAG's app runs it."""
    import getpass

    import pendulum

    from riir_airflow.exceptions import DagRunAlreadyExists
    from riir_airflow.metastore import api_queries, queries
    from riir_airflow.metastore.serialized_dag import new_task_instances
    from riir_airflow.schedules.serialized_timetables import encoded_timetable, manual_data_interval

    conf = _parse_conf(args.conf) or {}
    logical = parse_date(args.logical_date, "--logical-date") if args.logical_date else None
    if logical is not None and args.replace_microseconds:
        logical = logical.replace(microsecond=0)
    now = pendulum.now("UTC")
    run_id = args.run_id or f"manual__{(logical or now).isoformat()}"

    async def work(db: Any) -> Any:
        await dag_record(db, args.dag_id)
        version = (await api_queries.latest_versions(db, [args.dag_id])).get(args.dag_id)
        tasks = (
            new_task_instances(version.data, logical, "manual")
            if version is not None and isinstance(version.data, dict)
            else []
        )
        # As Airflow's `dags trigger`: the run is due now (run_after); with a logical date its data interval is the
        # timetable's manual interval for now (whatever the logical date says), without one it has none. A custom
        # timetable's interval is left to the DAG's app (schedules/serialized_timetables.py).
        interval = None
        if logical is not None and version is not None and isinstance(version.data, dict):
            interval = manual_data_interval(encoded_timetable(version.data), now)
        try:
            return await queries.create_dag_run(
                db, args.dag_id, run_id, run_type="manual", tasks=tasks, logical_date=logical,
                data_interval=interval, run_after=now, conf=conf,
                dag_version_id=version.id if version else None, triggered_by="cli",
                triggering_user_name=getpass.getuser(),
            )  # fmt: skip
        except DagRunAlreadyExists as err:
            raise SystemExit(str(err)) from None

    run = with_db(work)
    print_as([{
        "conf": run.conf, "dag_id": run.dag_id, "dag_run_id": run.run_id,
        "data_interval_start": run.data_interval_start, "data_interval_end": run.data_interval_end,
        "end_date": run.end_date, "last_scheduling_decision": run.last_scheduling_decision,
        "logical_date": run.logical_date, "run_type": run.run_type, "start_date": run.start_date,
        "state": run.state, "triggering_user_name": run.triggering_user_name,
    }], args.output)  # fmt: skip
    return 0


def cmd_pause(args: argparse.Namespace, paused: bool) -> int:
    from riir_airflow.metastore import queries

    async def matching(db: Any) -> list[str]:
        if not args.treat_dag_id_as_regex:
            dag = await queries.get_dag(db, args.dag_id)
            return [args.dag_id] if dag is not None and dag.is_paused != paused else []
        try:
            pattern = re.compile(args.dag_id)
        except re.error as err:
            raise SystemExit(f"error: {args.dag_id!r} is not a regular expression: {err}") from None
        dags = (await queries.list_dags(db, limit=1_000_000)).items
        return [d.dag_id for d in dags if pattern.search(d.dag_id) and d.is_paused != paused]

    dag_ids = with_db(matching)
    if not dag_ids:
        print(f"No {'un' if paused else ''}paused DAGs were found")
        return 0
    if args.treat_dag_id_as_regex and not args.yes:
        question = (f"You are about to {'un' if not paused else ''}pause {len(dag_ids)} DAGs:\n{','.join(dag_ids)}"
                    "\n\nAre you sure? [y/n]")  # fmt: skip
        if input(question).strip().lower() not in ("y", "yes"):
            print("Operation cancelled by user")
            return 0

    async def work(db: Any) -> None:
        for dag_id in dag_ids:
            await queries.set_dag_paused(db, dag_id, paused)

    with_db(work)
    print_as([{"dag_id": d, "is_paused": not paused} for d in dag_ids], args.output)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import api_queries

    prompt = "This will drop all existing records related to the specified DAG. Proceed? (y/n)"
    if not args.yes and input(prompt).upper() != "Y":
        print("Cancelled")
        return 0

    async def work(db: Any) -> bool:
        return await api_queries.delete_dag(db, args.dag_id)

    if not with_db(work):
        raise SystemExit(f"Dag id {args.dag_id} not found")
    print(f"Removed {args.dag_id} and all its records")
    return 0


def cmd_clear(args: argparse.Namespace) -> int:
    """Airflow's `dags clear`: the runs one selector names (a run_id, a partition_key or a partition_date window in
    the timetable's zone), their task instances cleared."""
    from riir_airflow.cli.dag_lookup import db_timetable
    from riir_airflow.metastore import clear_queries, partition_queries

    has_range = args.partition_date_start is not None or args.partition_date_end is not None
    selectors = sum([args.run_id is not None, args.partition_key is not None, has_range])
    if selectors == 0:
        raise SystemExit("One of --run-id, --partition-key, or --partition-date-start / --partition-date-end "
                         "must be provided.")  # fmt: skip
    if selectors > 1:
        raise SystemExit("--run-id, --partition-key, and --partition-date-start / --partition-date-end are "
                         "mutually exclusive; provide exactly one selector.")  # fmt: skip
    start, end = args.partition_date_start, args.partition_date_end
    if start is not None and end is not None and start > end:
        raise SystemExit("--partition-date-start must be on or before --partition-date-end.")

    async def select(db: Any) -> list[Any]:
        timetable = await db_timetable(db, args.dag_id)
        return await partition_queries.select_runs(
            db, args.dag_id, run_id=args.run_id, partition_key=args.partition_key,
            date_start=None if start is None else timetable.localize_partition_datetime(start),
            date_end=None if end is None else timetable.localize_partition_datetime(end),
        )  # fmt: skip

    runs = with_db(select)
    if not runs:
        print("No matching Dag runs found.")
        return 0
    if not args.yes:
        listing = "\n".join(f"  {r.run_id}  partition_key={r.partition_key}  partition_date={r.partition_date}"
                            for r in runs)  # fmt: skip
        if not ask_yesno(f"You are about to clear {len(runs)} Dag run(s) of {args.dag_id!r}:\n{listing}\n\n"
                         "Are you sure? [y/n]"):  # fmt: skip
            print("Cancelled, nothing was cleared.")
            return 0

    async def clear(db: Any) -> list[Any]:
        return await clear_queries.clear(
            db, args.dag_id, [r.run_id for r in runs], only_failed=args.only_failed, only_running=args.only_running,
            follow_markers=False,
        )  # fmt: skip

    cleared = with_db(clear)
    print(f"Cleared {len(cleared)} task instance(s) across {len(runs)} Dag run(s).")
    return 0


def ask_yesno(question: str) -> bool:
    """Airflow's prompt: asks again until the answer is yes or no."""
    while True:
        answer = input(question).strip().lower()
        if answer in ("y", "yes"):
            return True
        if answer in ("n", "no"):
            return False
        print("Please respond with y/yes or n/no.")


# --- DAG code: show, test, next-execution ---------------------------------------------------------------------------
def render_dot(dag: Any) -> str:
    """The DAG as Graphviz DOT: one cluster per task group, edges with their labels."""
    lines = [f'digraph "{dag.dag_id}" {{', "  graph [rankdir=LR];", '  node [shape=rectangle, style="filled,rounded"];']

    def emit_group(group: Any, indent: str) -> None:
        for child in group.children.values():
            if hasattr(child, "children"):
                lines.append(f'{indent}subgraph "cluster_{child.group_id}" {{')
                lines.append(f'{indent}  label="{child.label}"; color="{child.ui_color}";')
                emit_group(child, indent + "  ")
                lines.append(f"{indent}}}")
            else:
                color = getattr(child, "ui_color", "#fff")
                lines.append(f'{indent}"{child.task_id}" [label="{child.task_id}", fillcolor="{color}"];')

    emit_group(dag.task_group, "  ")
    for task in dag.tasks:
        for down in sorted(task.downstream_task_ids):
            label = dag.get_edge_info(task.task_id, down).get("label")
            attr = f' [label="{label}"]' if label else ""
            lines.append(f'  "{task.task_id}" -> "{down}"{attr};')
    lines.append("}")
    return "\n".join(lines)


def render_text(dag: Any) -> str:
    """A readable tree: tasks in topological order with their upstream tasks, grouped by task group."""
    out = [f"DAG {dag.dag_id} ({dag.timetable.summary}), {len(dag.tasks)} tasks"]
    for task in dag.topological_sort():
        group = task.task_group.group_id if task.task_group is not None and task.task_group.group_id else "-"
        ups = ", ".join(sorted(task.upstream_task_ids)) or "(root)"
        mapped = " [mapped]" if task.is_mapped else ""
        rule = task.trigger_rule.value
        out.append(
            f"  {task.task_id:<40} {task.task_type:<32} group={group:<20} trigger={rule:<28} after: {ups}{mapped}"
        )
    return "\n".join(out)


def _save_dot(dot: str, filename: str) -> None:
    if not filename.endswith(".dot"):
        raise SystemExit(f"error: {filename}: only .dot files can be written (rendering images needs graphviz; "
                         "run `dot -Tpng` on the .dot file)")  # fmt: skip
    with open(filename, "w") as f:
        f.write(dot + "\n")
    print(f"File {filename} saved")


def cmd_show(args: argparse.Namespace) -> int:
    if args.imgcat:
        raise SystemExit("error: --imgcat needs graphviz images, which riir-airflow does not render; use --save x.dot")
    dag = find_dag(args.dag_id, args.subdir)
    if args.format == "text":
        print(render_text(dag))
        return 0
    dot = render_dot(dag)
    if args.save:
        _save_dot(dot, args.save)
    else:
        print(dot)
    return 0


def dependencies_dot(bag: Any) -> str:
    """Cross-DAG dependencies as DOT: asset producers -> asset -> consumers, TriggerDagRunOperator and
    ExternalTaskSensor edges (Airflow's `dags show-dependencies`)."""
    edges: set[tuple[str, str]] = set()
    nodes: dict[str, str] = {}
    for dag in bag.dags.values():
        nodes[f"dag:{dag.dag_id}"] = dag.dag_id
        condition = getattr(dag.timetable, "asset_condition", None)
        for item in getattr(condition, "iter_assets", lambda: [])() if condition is not None else []:
            asset = item[1] if isinstance(item, tuple) else item  # (unique key, asset) pairs, as in Airflow
            name = str(getattr(asset, "name", None) or getattr(asset, "uri", asset))
            nodes[f"asset:{name}"] = name
            edges.add((f"asset:{name}", f"dag:{dag.dag_id}"))
        for task in dag.tasks:
            for outlet in getattr(task, "outlets", None) or []:
                outlet_name = getattr(outlet, "name", None) or getattr(outlet, "uri", None)
                if outlet_name:
                    nodes[f"asset:{outlet_name}"] = str(outlet_name)
                    edges.add((f"dag:{dag.dag_id}", f"asset:{outlet_name}"))
            target = getattr(task, "trigger_dag_id", None)
            if isinstance(target, str):
                nodes[f"dag:{target}"] = target
                edges.add((f"dag:{dag.dag_id}", f"dag:{target}"))
            upstream = getattr(task, "external_dag_id", None)
            if isinstance(upstream, str):
                nodes[f"dag:{upstream}"] = upstream
                edges.add((f"dag:{upstream}", f"dag:{dag.dag_id}"))
    lines = ['digraph "dag_dependencies" {', "  graph [rankdir=LR];"]
    for key in sorted(nodes):
        shape = "doubleoctagon" if key.startswith("asset:") else "rectangle"
        lines.append(f'  "{key}" [label="{nodes[key]}", shape={shape}];')
    lines += [f'  "{a}" -> "{b}";' for a, b in sorted(edges)]
    lines.append("}")
    return "\n".join(lines)


def cmd_show_dependencies(args: argparse.Namespace) -> int:
    if args.imgcat:
        raise SystemExit("error: --imgcat needs graphviz images, which riir-airflow does not render; use --save x.dot")
    dot = dependencies_dot(load_bag(args.subdir))
    if args.save:
        _save_dot(dot, args.save)
    else:
        print(dot)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from riir_airflow.gc_pause import paused_gc

    # The runtime and the DAG file load here. They stay frozen out of collections for the rest of the process (the
    # run's collections, and the one at exit, skip them); an in-process caller may `gc.unfreeze()` after.
    with paused_gc(freeze=True):
        from riir_airflow.authoring.notset import NOTSET
        from riir_airflow.runtime.local import run_dag_locally
        from riir_airflow.schedules.asset_activation import active_assets_of_folder

        dag, bag, folder = find_dag_in_bag(args.dag_id, args.dagfile_path or args.subdir)
    pattern = re.compile(args.mark_success_pattern) if args.mark_success_pattern else None
    # As Airflow's `dags test`, which records the DAG folder first: of two assets sharing a name or URI, the one
    # recorded first is active and a task using the other fails.
    active_assets = active_assets_of_folder(folder, bag.dags.values())

    def show(record: Any) -> None:
        index = f"[{record.map_index}]" if record.map_index >= 0 else ""
        print(f"{record.task_id}{index}: {record.state} (try {record.try_number})", flush=True)

    logical = parse_date(args.logical_date, "logical date") if args.logical_date else NOTSET
    result = run_dag_locally(dag, logical_date=logical, run_conf=_parse_conf(args.conf), printer=show,
                             mark_success_pattern=pattern, active_assets=active_assets)  # fmt: skip
    print(f"Dag run {result.run.run_id} of {dag.dag_id} finished: {result.state}")
    for record in result.task_instances():
        if record.state in ("upstream_failed", "skipped", "removed", None) and record.try_number == 0:
            index = f"[{record.map_index}]" if record.map_index >= 0 else ""
            print(f"{record.task_id}{index}: {record.state}")
    if database_available():
        from riir_airflow.cli.test_runs import record_test_run, record_test_run_or_warn

        record_test_run_or_warn(lambda db: record_test_run(db, dag, result))
    if args.show_dagrun:
        print(render_dot(dag))
    if args.save_dagrun:
        _save_dot(render_dot(dag), args.save_dagrun)
    if args.save_results:
        with open(args.save_results, "w") as f:
            json.dump(result.as_results(), f, indent=2, sort_keys=True)
    if result.state == "failed":
        print("DagRun failed", file=sys.stderr)
        return 1
    return 0


def cmd_next_execution(args: argparse.Namespace) -> int:
    """Like `airflow dags next-execution`: the data interval start of the next N runs, one per line."""
    from riir_airflow.schedules.timetables import TimeRestriction, next_executions

    dag = find_dag(args.dag_id, args.subdir)
    restriction = TimeRestriction(earliest=dag.start_date, latest=dag.end_date, catchup=dag.catchup)
    for info in next_executions(dag.timetable, args.num_executions, restriction=restriction):
        if info is None or info.data_interval is None:
            print(
                "[WARN] No following schedule can be found. This Dag may have schedule interval '@once' or `None`.",
                file=sys.stderr,
            )
            print(None)
            break
        print(info.data_interval.start.isoformat())
    return 0


def register(groups: Any) -> None:
    dags = groups.add_parser("dags", help="Manage DAGs").add_subparsers(
        dest="dags_command", metavar="COMMAND", required=True
    )

    def subdir(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("-S", "--subdir", help="File or folder to load DAGs from (default: [core] dags_folder)")

    def bundle(parser: argparse.ArgumentParser) -> None:
        text = "The name of the DAG bundle to use (riir-airflow has one: the DAG folder)"
        parser.add_argument("-B", "--bundle-name", action="append", help=text)

    def common(parser: argparse.ArgumentParser, output: bool = True) -> None:
        if output:
            add_output_argument(parser)
        add_verbose_argument(parser)

    p = dags.add_parser("list", help="List all the DAGs")
    bundle(p)
    p.add_argument("--columns", type=lambda s: [c.strip() for c in s.split(",") if c.strip()],
                   help=f"List of columns to render. (default: {list(DEFAULT_LIST_COLUMNS)})")  # fmt: skip
    local_help = "Shows local parsed DAGs and their import errors, ignores content serialized in DB"
    p.add_argument("-l", "--local", action="store_true", help=local_help)
    subdir(p)
    common(p)
    p.set_defaults(func=cmd_list)

    p = dags.add_parser("list-import-errors", help="List all the DAGs that have import errors")
    bundle(p)
    p.add_argument("-l", "--local", action="store_true", help="Shows local parsed DAGs and their import errors")
    subdir(p)
    common(p)
    p.set_defaults(func=cmd_list_import_errors)

    p = dags.add_parser("list-runs", help="List DAG runs given a DAG id")
    p.add_argument("dag_id", help="The id of the dag")
    p.add_argument("--state", choices=("queued", "running", "success", "failed"), help="Only list the DAG runs "
                   "corresponding to the state")  # fmt: skip
    p.add_argument("-s", "--start-date", help="Override start_date YYYY-MM-DD")
    p.add_argument("-e", "--end-date", help="Override end_date YYYY-MM-DD")
    p.add_argument("--no-backfill", action="store_true", help="filter all the backfill dagruns given the dag id")
    common(p)
    p.set_defaults(func=cmd_list_runs)

    p = dags.add_parser("list-jobs", help="List the DAG apps (riir-airflow's jobs)")
    p.add_argument("-d", "--dag-id", help="The id of the dag")
    p.add_argument("--state", choices=("running", "success", "restarting", "failed"),
                   help="Only list the jobs corresponding to the state")  # fmt: skip
    p.add_argument("--limit", type=int, default=100, help="Return a limited number of records")
    common(p)
    p.set_defaults(func=cmd_list_jobs)

    p = dags.add_parser("details", help="Get DAG details given a DAG id")
    p.add_argument("dag_id", help="The id of the dag")
    common(p)
    p.set_defaults(func=cmd_details)

    p = dags.add_parser("report", help="Show DagBag loading report")
    bundle(p)
    subdir(p)
    common(p)
    p.set_defaults(func=cmd_report)

    p = dags.add_parser("reserialize", help="Reserialize DAGs by parsing the DagBag files into the metastore")
    bundle(p)
    subdir(p)
    common(p, output=False)
    p.set_defaults(func=cmd_reserialize)

    p = dags.add_parser("state", help="Get the status of a dag run")
    p.add_argument("dag_id", help="The id of the dag")
    p.add_argument("logical_date_or_run_id", help="The logical date of the DAG or run_id of the DAGRun")
    common(p, output=False)
    p.set_defaults(func=cmd_state)

    p = dags.add_parser("trigger", help="Trigger a new DAG run (the DAG's app runs it)")
    p.add_argument("dag_id", help="The id of the dag")
    p.add_argument("-c", "--conf", help="JSON string that gets pickled into the DagRun's conf attribute")
    p.add_argument("-l", "--logical-date", help="The logical date of the DAG (optional)")
    p.add_argument("-r", "--run-id", help="Helps to identify this run")
    p.add_argument("--no-replace-microseconds", dest="replace_microseconds", action="store_false",
                   help="whether microseconds should be zeroed")  # fmt: skip
    common(p)
    p.set_defaults(func=cmd_trigger)

    for name, paused in (("pause", True), ("unpause", False)):
        p = dags.add_parser(name, help=f"{name.capitalize()} DAG(s)")
        p.add_argument("dag_id", help="The id of the dag (a regular expression with --treat-dag-id-as-regex)")
        p.add_argument("--treat-dag-id-as-regex", action="store_true", help="if set, dag_id will be treated as regex "
                       "instead of an exact string")  # fmt: skip
        p.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
        common(p)
        p.set_defaults(func=lambda a, paused=paused: cmd_pause(a, paused))

    p = dags.add_parser("delete", help="Delete all DB records related to the specified DAG")
    p.add_argument("dag_id", help="The id of the dag")
    p.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
    common(p, output=False)
    p.set_defaults(func=cmd_delete)

    p = dags.add_parser("clear", help="Clear Dag runs selected by run_id, partition_key, or a partition_date window")
    p.add_argument("dag_id", help="The id of the dag")
    p.add_argument("--run-id", help="Clear the Dag run with this run_id.")
    p.add_argument("--partition-key", help="Clear all Dag runs whose partition_key matches this exact value.")
    p.add_argument(
        "--partition-date-start",
        type=parse,
        help="Inclusive lower bound of the partition_date window, "
        "its wall-clock value read in the Dag's timetable timezone (a date alone: local midnight)",
    )
    p.add_argument(
        "--partition-date-end",
        type=parse,
        help="Inclusive upper bound of the partition_date window, "
        "its wall-clock value read in the Dag's timetable timezone (a date alone: local midnight)",
    )
    p.add_argument("-f", "--only-failed", action="store_true", help="Only clear failed tasks")
    p.add_argument("-r", "--only-running", action="store_true", help="Only clear running tasks")
    p.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
    common(p, output=False)
    p.set_defaults(func=cmd_clear)

    p = dags.add_parser("show", help="Displays DAG's tasks with their dependencies (Graphviz DOT)")
    p.add_argument("dag_id", help="The id of the dag, or a DAG file")
    p.add_argument("--format", choices=["dot", "text"], default="dot", help="DOT (default) or a readable listing")
    p.add_argument("--imgcat", action="store_true", help="Displays graph using the imgcat tool (not supported)")
    p.add_argument("-s", "--save", help="Saves the result to the indicated .dot file")
    subdir(p)
    common(p, output=False)
    p.set_defaults(func=cmd_show)

    p = dags.add_parser("show-dependencies", help="Displays DAGs with their dependencies (Graphviz DOT)")
    p.add_argument("--imgcat", action="store_true", help="Displays graph using the imgcat tool (not supported)")
    p.add_argument("-s", "--save", help="Saves the result to the indicated .dot file")
    subdir(p)
    common(p, output=False)
    p.set_defaults(func=cmd_show_dependencies)

    p = dags.add_parser("test", help="Execute one single DagRun in this process (no scheduler, no app)")
    p.add_argument("dag_id", help="The id of the dag, or a DAG file")
    p.add_argument("logical_date", nargs="?", help="The logical date of the DAG (optional)")
    bundle(p)
    p.add_argument("-c", "--conf", help="JSON string that gets pickled into the DagRun's conf attribute")
    p.add_argument("-f", "--dagfile-path", help="Path to the dag file. Can be absolute or relative to current dir")
    p.add_argument("--mark-success-pattern", help="Don't run task_ids matching the regex <MARK_SUCCESS_PATTERN>, "
                   "mark them as successful instead.")  # fmt: skip
    p.add_argument("--use-executor", action="store_true", help="Accepted for compatibility: tasks run in-process")
    p.add_argument("--show-dagrun", action="store_true", help="Show the DAG as DOT after the run")
    p.add_argument("--save-dagrun", help="After completing the backfill, saves the diagram for current DAG Run to "
                   "the indicated .dot file")  # fmt: skip
    p.add_argument("--imgcat-dagrun", action="store_true", help="Not supported (needs graphviz)")
    p.add_argument("--save-results", metavar="PATH", help="Write task states, XComs and rendered fields as JSON")
    subdir(p)
    common(p, output=False)
    p.set_defaults(func=cmd_test)

    p = dags.add_parser("next-execution", help="Get the next logical datetimes of a DAG")
    p.add_argument("dag_id", help="The id of the dag, or a DAG file")
    p.add_argument("-n", "--num-executions", type=int, default=1, help="The number of next logical date times to "
                   "show")  # fmt: skip
    p.add_argument("--field", default="logical_date", help="Only logical_date (the data interval start) is shown")
    p.add_argument("--table", action="store_true", help="Not supported: one date per line")
    subdir(p)
    common(p, output=False)
    p.set_defaults(func=cmd_next_execution)
