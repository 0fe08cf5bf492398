"""`riir-airflow tasks list|test|state|states-for-dag-run|clear|failed-deps|render`, as `airflow tasks ...`.

`list`, `test` and `render` read the DAG file; `state`, `states-for-dag-run`, `clear` and `failed-deps` read the
metastore (and the serialized DAG stored there: no DAG code is imported for them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any

from riir_airflow.cli.dag_lookup import dag_record, find_dag, find_run, parse_date
from riir_airflow.cli.metastore_access import database_available, with_db
from riir_airflow.cli.output import add_output_argument, add_verbose_argument, print_as


def cmd_list(args: argparse.Namespace) -> int:
    dag = find_dag(args.dag_id, args.subdir)
    print("\n".join(sorted(t.task_id for t in dag.tasks)))
    return 0


def _json_object(text: str | None, flag: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as err:
        raise SystemExit(f"{flag} is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise SystemExit(f"{flag} must be a JSON object")
    return value


def cmd_test(args: argparse.Namespace) -> int:
    """Runs one task in this process, ignoring its dependencies (upstream XComs are absent), as Airflow does."""
    from riir_airflow.authoring.notset import NOTSET
    from riir_airflow.runtime.local import run_dag_locally

    dag = find_dag(args.dag_id, args.subdir)
    if args.task_id not in dag.task_dict:
        raise SystemExit(f"Task {args.task_id} not found in DAG {dag.dag_id}")
    os.environ.update({str(k): str(v) for k, v in _json_object(args.env_vars, "--env-vars").items()})
    subset = dag.partial_subset(f"^{re.escape(args.task_id)}$", include_upstream=False)
    task_params = _json_object(args.task_params, "--task-params")
    if task_params:
        subset.get_task(args.task_id).params.update(task_params)
    logical: Any = NOTSET
    if args.logical_date_or_run_id:
        logical = parse_date(args.logical_date_or_run_id, "logical date")

    def show(record: Any) -> None:
        index = f"[{record.map_index}]" if record.map_index >= 0 else ""
        print(f"{record.task_id}{index}: {record.state} (try {record.try_number})", flush=True)

    result = run_dag_locally(subset, logical_date=logical, printer=show)
    if database_available():
        from riir_airflow.cli.test_runs import record_test_run, record_test_run_or_warn

        # The full DAG's version is stored; the run holds only this task's instance.
        record_test_run_or_warn(lambda db: record_test_run(db, dag, result))
    states = {r.state for r in result.task_instances()}
    if states & {"failed", "upstream_failed"}:
        if args.post_mortem:
            print("--post-mortem: the task ran in this process; rerun it under `python -m pdb`", file=sys.stderr)
        return 1
    return 0


async def _ti(db: Any, args: argparse.Namespace) -> Any:
    from riir_airflow.metastore import queries
    from riir_airflow.metastore.records import TaskInstanceKey

    await dag_record(db, args.dag_id)
    run = await find_run(db, args.dag_id, args.logical_date_or_run_id)
    if run is None:
        raise SystemExit(f"DagRun for {args.dag_id} with run_id or logical_date of "
                         f"{args.logical_date_or_run_id!r} not found")  # fmt: skip
    ti = await queries.get_task_instance(db, TaskInstanceKey(args.dag_id, run.run_id, args.task_id, args.map_index))
    if ti is None:
        raise SystemExit(f"TaskInstance {args.task_id} of {args.dag_id} run {run.run_id} not found")
    return ti


def cmd_state(args: argparse.Namespace) -> int:
    print(with_db(lambda db: _ti(db, args)).state)
    return 0


def cmd_states_for_dag_run(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import queries

    async def work(db: Any) -> tuple[Any, list[Any]]:
        await dag_record(db, args.dag_id)
        run = await find_run(db, args.dag_id, args.logical_date_or_run_id)
        if run is None:
            raise SystemExit(f"DagRun for {args.dag_id} with run_id or logical_date of "
                             f"{args.logical_date_or_run_id!r} not found")  # fmt: skip
        tis = await queries.list_task_instances(db, dag_id=args.dag_id, run_id=run.run_id, limit=1_000_000)
        return run, tis.items

    run, tis = with_db(work)
    print_as(tis, args.output, lambda ti: {
        "dag_id": ti.dag_id, "logical_date": run.logical_date.isoformat() if run.logical_date else "",
        "task_id": ti.task_id, "state": ti.state or "",
        "start_date": ti.start_date.isoformat() if ti.start_date else "",
        "end_date": ti.end_date.isoformat() if ti.end_date else "",
    })  # fmt: skip
    return 0


def _relatives(tasks: list[dict[str, Any]], task_ids: set[str], key: str) -> set[str]:
    edges = {t["task_id"]: t.get(key) or [] for t in tasks}
    found: set[str] = set()
    stack = list(task_ids)
    while stack:
        for other in edges.get(stack.pop(), []):
            if other not in found:
                found.add(other)
                stack.append(other)
    return found


def cmd_clear(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import api_queries, clear_queries, queries

    async def targets(db: Any) -> list[tuple[str, list[str], list[str] | None]]:
        """(dag_id, run_ids, task_ids or None for all) per DAG to clear."""
        if args.dag_regex:
            pattern = re.compile(args.dag_id)
            dag_ids = [d.dag_id for d in (await queries.list_dags(db, limit=1_000_000)).items
                       if pattern.search(d.dag_id)]  # fmt: skip
        else:
            dag_ids = [(await dag_record(db, args.dag_id)).dag_id]
        versions = await api_queries.latest_versions(db, dag_ids)
        found = []
        for dag_id in dag_ids:
            runs = await queries.list_dag_runs(
                db, dag_id=dag_id, logical_date_gte=parse_date(args.start_date) if args.start_date else None,
                logical_date_lte=parse_date(args.end_date) if args.end_date else None, limit=1_000_000,
            )  # fmt: skip
            task_ids = None
            if args.task_regex:
                data = versions[dag_id].data if dag_id in versions else {}
                tasks = list(data.get("tasks") or [])
                chosen = {t["task_id"] for t in tasks if re.search(args.task_regex, t["task_id"])}
                if args.upstream:
                    chosen |= _relatives(tasks, chosen, "upstream_task_ids")
                if args.downstream:
                    chosen |= _relatives(tasks, chosen, "downstream_task_ids")
                task_ids = sorted(chosen)
            found.append((dag_id, [r.run_id for r in runs.items], task_ids))
        return found

    async def clear(db: Any, dry_run: bool) -> list[Any]:
        cleared = []
        for dag_id, run_ids, task_ids in await targets(db):
            cleared += await clear_queries.clear(
                db, dag_id, run_ids, task_ids=task_ids, only_failed=args.only_failed,
                only_running=args.only_running, dry_run=dry_run,
            )  # fmt: skip
        return cleared

    preview = with_db(lambda db: clear(db, True))
    if not preview:
        print("No task instances to clear")
        return 0
    if not args.yes:
        listing = "\n".join(f"<TaskInstance: {t.dag_id}.{t.task_id} {t.run_id} [{t.state}]>" for t in preview)
        answer = input(f"You are about to delete these {len(preview)} tasks:\n{listing}\n\nAre you sure? [y/n]")
        if answer.strip().lower() not in ("y", "yes"):
            print("Cancelled, nothing was cleared.")
            return 0
    cleared = with_db(lambda db: clear(db, False))
    print(f"Cleared {len(cleared)} task instance(s)")
    return 0


def cmd_failed_deps(args: argparse.Namespace) -> int:
    """Why a task instance would not start now: its own state, else its trigger rule against its upstream
    states (decided by the same planner the apps use)."""
    from riir_airflow import _core
    from riir_airflow.metastore import api_queries, queries

    async def work(db: Any) -> tuple[Any, list[Any], dict[str, Any]]:
        ti = await _ti(db, args)
        tis = await queries.list_task_instances(db, dag_id=args.dag_id, run_id=ti.run_id, limit=1_000_000)
        version = (await api_queries.latest_versions(db, [args.dag_id])).get(args.dag_id)
        return ti, tis.items, version.data if version is not None else {}

    ti, tis, data = with_db(work)
    tasks = {t["task_id"]: t for t in data.get("tasks") or []}
    task = tasks.get(args.task_id, {})
    reasons = []
    if ti.state not in (None, "scheduled"):
        reasons.append(("Task Instance State", f"Task is in the '{ti.state}' state."))
    else:
        planner = _core.Planner(
            [{"task_id": t["task_id"], "trigger_rule": t.get("trigger_rule") or "all_success"} for t in tasks.values()],
            [(t["task_id"], d) for t in tasks.values() for d in t.get("downstream_task_ids") or []],
        )  # fmt: skip
        plan = planner.plan([(x.task_id, x.map_index, x.state) for x in tis])
        if (args.task_id, args.map_index) not in plan["to_run"] and ti.state is None:
            upstream = task.get("upstream_task_ids") or []
            states = {x.task_id: x.state for x in tis if x.task_id in upstream}
            reasons.append(("Trigger Rule", f"Task's trigger rule '{task.get('trigger_rule', 'all_success')}' is not "
                            f"met by its upstream states {states}"))  # fmt: skip
    if reasons:
        print("Task instance dependencies not met:")
        for name, reason in reasons:
            print(f"{name}: {reason}")
    else:
        print("Task instance dependencies are all met.")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    """Renders the task's template fields for a run (an existing one, or one at the given logical date)."""
    import textwrap

    from riir_airflow.engine.records import InMemoryRunStore, TaskInstanceRecord
    from riir_airflow.runtime.local import create_test_run
    from riir_airflow.runtime.task_instance import RuntimeTaskInstance, build_context

    dag = find_dag(args.dag_id, args.subdir)
    if args.task_id not in dag.task_dict:
        raise SystemExit(f"Task {args.task_id} not found in DAG {dag.dag_id}")
    run = create_test_run(dag, parse_date(args.logical_date_or_run_id, "logical date"))
    store = InMemoryRunStore(run)
    task = dag.get_task(args.task_id)
    record = TaskInstanceRecord(task_id=args.task_id, map_index=args.map_index, try_number=1)
    context = build_context(task, RuntimeTaskInstance(task, record, store, None), store)
    task.render_template_fields(context)
    for field in task.template_fields:
        print(
            textwrap.dedent(f"""
        # ----------------------------------------------------------
        # property: {field}
        # ----------------------------------------------------------
        """)
        )
        print(getattr(task, field))
    return 0


def register(groups: Any) -> None:
    tasks = groups.add_parser("tasks", help="Manage tasks").add_subparsers(
        dest="tasks_command", metavar="COMMAND", required=True
    )

    def common(parser: argparse.ArgumentParser, *, bundle: bool = True, subdir: bool = True) -> None:
        if bundle:
            parser.add_argument("-B", "--bundle-name", action="append", help="Accepted for compatibility")
        if subdir:
            parser.add_argument("-S", "--subdir", help="File or folder to load DAGs from (default: [core] dags_folder)")
        add_verbose_argument(parser)

    def run_args(parser: argparse.ArgumentParser, optional: bool = False) -> None:
        parser.add_argument("dag_id", help="The id of the dag")
        parser.add_argument("task_id", help="The id of the task")
        parser.add_argument("logical_date_or_run_id", nargs="?" if optional else None,
                            help="The logical date of the DAG or run_id of the DAGRun")  # fmt: skip
        parser.add_argument("--map-index", type=int, default=-1, help="Mapped task index")

    p = tasks.add_parser("list", help="List the tasks within a DAG")
    p.add_argument("dag_id", help="The id of the dag, or a DAG file")
    common(p)
    p.set_defaults(func=cmd_list)

    p = tasks.add_parser("test", help="Test a task instance (runs it here, ignoring its dependencies)")
    run_args(p, optional=True)
    p.add_argument("--env-vars", help="Set env var in both parsing time and runtime for each of entry supplied in a "
                   "JSON dict")  # fmt: skip
    p.add_argument("-t", "--task-params", help="Sends a JSON params dict to the task")
    p.add_argument("-m", "--post-mortem", action="store_true", help="Open debugger on uncaught exception")
    common(p)
    p.set_defaults(func=cmd_test)

    p = tasks.add_parser("state", help="Get the status of a task instance")
    run_args(p)
    common(p, subdir=False)
    p.set_defaults(func=cmd_state)

    p = tasks.add_parser("states-for-dag-run", help="Get the status of all task instances in a dag run")
    p.add_argument("dag_id", help="The id of the dag")
    p.add_argument("logical_date_or_run_id", help="The logical date of the DAG or run_id of the DAGRun")
    add_output_argument(p)
    common(p, bundle=False, subdir=False)
    p.set_defaults(func=cmd_states_for_dag_run)

    p = tasks.add_parser("clear", help="Clear a set of task instance, as if they never ran")
    p.add_argument("dag_id", help="The id of the dag (a regular expression with -R)")
    p.add_argument("-R", "--dag-regex", action="store_true", help="Search dag_id as regex instead of exact string")
    p.add_argument("-t", "--task-regex", help="The regex to filter specific task_ids (optional)")
    p.add_argument("-s", "--start-date", help="Override start_date YYYY-MM-DD")
    p.add_argument("-e", "--end-date", help="Override end_date YYYY-MM-DD")
    p.add_argument("-u", "--upstream", action="store_true", help="Include upstream tasks")
    p.add_argument("-d", "--downstream", action="store_true", help="Include downstream tasks")
    p.add_argument("-f", "--only-failed", action="store_true", help="Only failed jobs")
    p.add_argument("-r", "--only-running", action="store_true", help="Only running jobs")
    p.add_argument("-y", "--yes", action="store_true", help="Do not prompt to confirm. Use with care!")
    common(p, subdir=False)
    p.set_defaults(func=cmd_clear)

    p = tasks.add_parser("failed-deps", help="Returns the unmet dependencies for a task instance")
    run_args(p)
    common(p, subdir=False)
    p.set_defaults(func=cmd_failed_deps)

    p = tasks.add_parser("render", help="Render a task instance's template(s)")
    run_args(p)
    common(p)
    p.set_defaults(func=cmd_render)
