"""`riir-airflow dags ...`: list, show, details, list-import-errors, test — working on DAG files, no database."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from riir_airflow.cli.output import print_rows


def load_bag(path: str | None) -> Any:
    """A DagBag of a file or folder (default: the configured dags folder)."""
    from riir_airflow._internal import settings
    from riir_airflow._internal.dagbag import DagBag

    folder = os.path.abspath(path or settings.dags_folder())
    if not os.path.exists(folder):
        raise SystemExit(f"error: {folder}: no such file or folder")
    return DagBag(folder)


def find_dag(file_or_dag_id: str, subdir: str | None) -> Any:
    """A DAG by file path (its only DAG) or by dag_id (searched in --subdir or the dags folder)."""
    if os.path.isfile(file_or_dag_id):
        bag = load_bag(file_or_dag_id)
        report_import_errors(bag)
        if len(bag.dags) != 1:
            names = ", ".join(sorted(bag.dags)) or "none"
            raise SystemExit(f"error: {file_or_dag_id} defines {len(bag.dags)} DAGs ({names}); pass a dag_id and -S")
        return next(iter(bag.dags.values()))
    bag = load_bag(subdir)
    dag = bag.get_dag(file_or_dag_id)
    if dag is None:
        report_import_errors(bag)
        raise SystemExit(
            f"error: Dag {file_or_dag_id!r} could not be found; either it does not exist or it failed to parse."
        )
    return dag


def report_import_errors(bag: Any) -> None:
    for path, error in sorted(bag.import_errors.items()):
        print(f"Failed to load {path}:\n{error}", file=sys.stderr)


def _timetable_summary(dag: Any) -> str:
    try:
        return str(dag.timetable.summary)
    except Exception:
        return str(dag.schedule)


def cmd_list(args: argparse.Namespace) -> int:
    bag = load_bag(args.subdir)
    rows = [
        {
            "dag_id": d.dag_id,
            "fileloc": d.fileloc,
            "owners": d.owner,
            "schedule": _timetable_summary(d),
            "tags": ", ".join(sorted(d.tags)),
        }
        for d in sorted(bag.dags.values(), key=lambda d: d.dag_id)
    ]
    print_rows(rows, args.output, ["dag_id", "fileloc", "owners", "schedule", "tags"])
    if bag.import_errors:
        print(
            f"\n{len(bag.import_errors)} file(s) failed to load: run `riir-airflow dags list-import-errors`",
            file=sys.stderr,
        )
    return 0


def cmd_list_import_errors(args: argparse.Namespace) -> int:
    bag = load_bag(args.subdir)
    rows = [{"filepath": path, "error": error} for path, error in sorted(bag.import_errors.items())]
    print_rows(rows, args.output, ["filepath", "error"])
    return 1 if rows else 0


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
    out = [f"DAG {dag.dag_id} ({_timetable_summary(dag)}), {len(dag.tasks)} tasks"]
    for task in dag.topological_sort():
        group = task.task_group.group_id if task.task_group is not None and task.task_group.group_id else "-"
        ups = ", ".join(sorted(task.upstream_task_ids)) or "(root)"
        mapped = " [mapped]" if task.is_mapped else ""
        rule = task.trigger_rule.value
        out.append(
            f"  {task.task_id:<40} {task.task_type:<32} group={group:<20} trigger={rule:<28} after: {ups}{mapped}"
        )
    return "\n".join(out)


def cmd_show(args: argparse.Namespace) -> int:
    dag = find_dag(args.dag, args.subdir)
    print(render_text(dag) if args.format == "text" else render_dot(dag))
    return 0


def cmd_details(args: argparse.Namespace) -> int:
    dag = find_dag(args.dag, args.subdir)
    details = {
        "dag_id": dag.dag_id,
        "description": dag.description,
        "fileloc": dag.fileloc,
        "owners": sorted({t.owner for t in dag.tasks}),
        "schedule": _timetable_summary(dag),
        "timetable": type(dag.timetable).__name__,
        "start_date": dag.start_date.isoformat() if dag.start_date else None,
        "end_date": dag.end_date.isoformat() if dag.end_date else None,
        "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs,
        "max_active_tasks": dag.max_active_tasks,
        "tags": sorted(dag.tags),
        "params": {k: dag.params.get_param(k).serialize() for k in dag.params},
        "tasks": len(dag.tasks),
        "task_ids": dag.task_ids,
        "timezone": str(dag.timezone.name if hasattr(dag.timezone, "name") else dag.timezone),
    }
    if args.output == "json":
        print(json.dumps(details, indent=2, default=str))
    else:
        print_rows([{"property": k, "value": v} for k, v in details.items()], args.output, ["property", "value"])
    return 0


def _parse_conf(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"error: --conf is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise SystemExit("error: --conf must be a JSON object")
    return value


def _parse_date(text: str | None) -> Any:
    from riir_airflow._internal.notset import NOTSET

    if not text:
        return NOTSET
    import pendulum

    try:
        return pendulum.parse(text)
    except Exception as exc:
        raise SystemExit(f"error: logical date {text!r} is not a date: {exc}") from None


def cmd_test(args: argparse.Namespace) -> int:
    from riir_airflow.runtime.local import run_dag_locally

    dag = find_dag(args.dag, args.subdir)

    def show(record: Any) -> None:
        index = f"[{record.map_index}]" if record.map_index >= 0 else ""
        print(f"{record.task_id}{index}: {record.state} (try {record.try_number})", flush=True)

    result = run_dag_locally(
        dag, logical_date=_parse_date(args.logical_date), run_conf=_parse_conf(args.conf), printer=show
    )
    print(f"Dag run {result.run.run_id} of {dag.dag_id} finished: {result.state}")
    for record in result.task_instances():
        if record.state in ("upstream_failed", "skipped", "removed", None) and record.try_number == 0:
            index = f"[{record.map_index}]" if record.map_index >= 0 else ""
            print(f"{record.task_id}{index}: {record.state}")
    if args.save_results:
        with open(args.save_results, "w") as f:
            json.dump(result.as_results(), f, indent=2, sort_keys=True)
    return 0 if result.state == "success" else 1


def cmd_next_execution(args: argparse.Namespace) -> int:
    """Like `airflow dags next-execution`: the data interval start of the next N runs, one per line."""
    from riir_airflow._internal.timetables import TimeRestriction, next_executions

    dag = find_dag(args.dag, args.subdir)
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
    dags = groups.add_parser("dags", help="Manage and run DAGs from DAG files").add_subparsers(
        dest="dags_command", metavar="COMMAND", required=True
    )

    def common(parser: argparse.ArgumentParser, with_output: bool = True) -> None:
        parser.add_argument("-S", "--subdir", help="File or folder to load DAGs from (default: [core] dags_folder)")
        if with_output:
            parser.add_argument("-o", "--output", choices=["table", "json", "plain"], default="table")

    p = dags.add_parser("list", help="List the DAGs of a file or folder")
    p.add_argument("path", nargs="?", help="File or folder (same as -S)")
    common(p)
    p.set_defaults(func=lambda a: cmd_list(_path_as_subdir(a)))

    p = dags.add_parser("list-import-errors", help="List files that failed to load")
    p.add_argument("path", nargs="?", help="File or folder (same as -S)")
    common(p)
    p.set_defaults(func=lambda a: cmd_list_import_errors(_path_as_subdir(a)))

    p = dags.add_parser("show", help="Print a DAG's structure (DOT by default, or text)")
    p.add_argument("dag", help="A DAG file, or a dag_id")
    p.add_argument("--format", choices=["dot", "text"], default="dot")
    common(p, with_output=False)
    p.set_defaults(func=cmd_show)

    p = dags.add_parser("details", help="Print a DAG's settings")
    p.add_argument("dag", help="A DAG file, or a dag_id")
    common(p)
    p.set_defaults(func=cmd_details)

    p = dags.add_parser("test", help="Run one DAG run in this process, without a database")
    p.add_argument("dag", help="A DAG file, or a dag_id")
    p.add_argument("logical_date", nargs="?", help="The logical date of the run (default: now)")
    p.add_argument("-c", "--conf", help="JSON object passed as the run's conf")
    p.add_argument("--save-results", metavar="PATH", help="Write task states, XComs and rendered fields as JSON")
    common(p, with_output=False)
    p.set_defaults(func=cmd_test)

    p = dags.add_parser("next-execution", help="The next logical dates of a DAG, from its timetable")
    p.add_argument("dag", help="A DAG file, or a dag_id")
    p.add_argument("-n", "--num-executions", type=int, default=1)
    common(p, with_output=False)
    p.set_defaults(func=cmd_next_execution)

    from riir_airflow.cli.app_command import register_dag_commands

    register_dag_commands(dags)


def _path_as_subdir(args: argparse.Namespace) -> argparse.Namespace:
    if getattr(args, "path", None):
        args.subdir = args.path
    return args
