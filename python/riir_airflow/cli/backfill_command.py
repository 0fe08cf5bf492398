"""`riir-airflow backfill create`, as `airflow backfill create`: the plan is Airflow's (timetable runs in the range,
reprocess behavior, order), the backfill and its runs are written to the metastore in one transaction, and the
DAG's app runs them, `--max-active-runs` at a time."""

from __future__ import annotations

import argparse
import getpass
import json
from typing import Any

from riir_airflow.cli.dag_lookup import dag_record, find_dag, parse_date
from riir_airflow.cli.metastore_access import with_db
from riir_airflow.cli.output import add_verbose_argument


def _conf(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as err:
        raise SystemExit(f"Invalid JSON in --dag-run-conf: {err}") from None
    if not isinstance(value, dict):
        raise SystemExit("--dag-run-conf must be a JSON object")
    return value


def cmd_create(args: argparse.Namespace) -> int:
    from riir_airflow.cli.progress import Progress
    from riir_airflow.exceptions import AirflowException
    from riir_airflow.metastore import api_queries, queries
    from riir_airflow.metastore.serialized_dag import new_task_instances
    from riir_airflow.schedules.backfill import plan_backfill

    conf = _conf(args.dag_run_conf)
    from_date = parse_date(args.from_date, "--from-date")
    to_date = parse_date(args.to_date, "--to-date")
    dag = find_dag(args.dag_id, args.subdir)
    depends_on_past = any(t.depends_on_past for t in dag.tasks)

    async def plan(db: Any) -> Any:
        await dag_record(db, args.dag_id)
        options = {"from_date": from_date, "to_date": to_date, "run_backwards": args.run_backwards,
                   "reprocess_behavior": args.reprocess_behavior, "max_active_runs": args.max_active_runs,
                   "depends_on_past": depends_on_past, "dag_id": args.dag_id}  # fmt: skip
        try:
            # Planned twice: the dates first, then with the states of the runs already at those dates.
            dates = [r.logical_date for r in plan_backfill(dag.timetable, **options).runs]
            existing = await api_queries.existing_run_states(db, args.dag_id, dates)
            return plan_backfill(dag.timetable, existing_runs=existing, **options)
        except (AirflowException, ValueError) as err:
            raise SystemExit(
                f"Warning: {err}" if type(err).__name__ == "NoBackfillRunsToCreate" else str(err)
            ) from None

    if args.dry_run:
        print("Performing dry run of backfill.")
        print("Printing params:")
        for key, value in (("dag_id", args.dag_id), ("from_date", from_date), ("to_date", to_date),
                           ("max_active_runs", args.max_active_runs), ("reverse", args.run_backwards),
                           ("dag_run_conf", conf or None), ("reprocess_behavior", args.reprocess_behavior),
                           ("run_on_latest_version", args.run_on_latest_version)):  # fmt: skip
            print(f"    - {key} = {value}")
        result = with_db(plan)
        print("Runs to be attempted:")
        for run in result.runs:
            if run.action in ("create", "clear"):
                print(f"    {run.logical_date.isoformat()}  ({run.action})")
        return 0

    async def create(db: Any) -> tuple[int, int]:
        result = await plan(db)
        todo = [r for r in result.runs if r.action in ("create", "clear")]
        if not todo:
            raise SystemExit(f"Warning: No runs to create for Dag {args.dag_id}: every date already has a run")
        if await api_queries.active_backfill(db, args.dag_id) is not None:
            raise SystemExit(f"There is already a running backfill for dag {args.dag_id}")
        version = (await api_queries.latest_versions(db, [args.dag_id])).get(args.dag_id)
        tasks = (
            new_task_instances(version.data, None, "backfill")
            if version is not None and isinstance(version.data, dict)
            else []
        )
        progress = Progress("Creating backfill runs", len(todo))
        created = cleared = 0
        async with db.acquire() as conn, conn.transaction():  # the backfill and all its runs, or nothing
            backfill = await queries.create_backfill(
                conn, args.dag_id, from_date=from_date, to_date=to_date, dag_run_conf=conf,
                reprocess_behavior=result.reprocess_behavior, max_active_runs=args.max_active_runs,
                run_backwards=args.run_backwards, triggering_user_name=getpass.getuser(),
            )  # fmt: skip
            for run in todo:
                if run.action == "create":
                    interval = (run.data_interval.start, run.data_interval.end) if run.data_interval else None
                    await queries.create_dag_run(
                        conn, args.dag_id, f"backfill__{run.run_after.isoformat()}", run_type="backfill",
                        tasks=tasks, logical_date=run.logical_date, data_interval=interval, run_after=run.run_after,
                        conf=conf, dag_version_id=version.id if version else None, backfill_id=backfill.id,
                        triggered_by="backfill", triggering_user_name=getpass.getuser(),
                    )  # fmt: skip
                    created += 1
                else:
                    runs = await queries.list_dag_runs(
                        conn, dag_id=args.dag_id, logical_date_gte=run.logical_date,
                        logical_date_lte=run.logical_date,
                    )  # fmt: skip
                    await api_queries.clear_task_instances(conn, args.dag_id, [r.run_id for r in runs.items])
                    cleared += 1
                progress.step()
        progress.done()
        return created, cleared

    created, cleared = with_db(create)
    print(f"Backfill of {args.dag_id} from {from_date} to {to_date}: {created} run(s) created, {cleared} cleared; "
          f"the DAG's app runs them, {args.max_active_runs} at a time")  # fmt: skip
    return 0


def register(groups: Any) -> None:
    parser = groups.add_parser("backfill", help="Manage backfills")
    commands = parser.add_subparsers(dest="backfill_command", metavar="COMMAND", required=True)
    p = commands.add_parser("create", help="Create a backfill for a dag")
    p.add_argument("--dag-id", required=True, help="The dag to backfill")
    p.add_argument("--from-date", required=True, help="Earliest logical date to backfill")
    p.add_argument("--to-date", required=True, help="Latest logical date to backfill")
    p.add_argument("--dag-run-conf", help="JSON dag run configuration")
    p.add_argument("--run-backwards", action="store_true", help="If set, the backfill will run tasks from the most "
                   "recent logical date first. Not supported if there are tasks that depend_on_past.")  # fmt: skip
    p.add_argument("--max-active-runs", type=int, default=10, help="Max active runs for this backfill")
    p.add_argument("--dry-run", action="store_true", help="Perform a dry run")
    p.add_argument("--reprocess-behavior", choices=("none", "completed", "failed"), default=None,
                   help="What to do when a run already exists for a date: none (skip it), failed (run the failed "
                        "ones again) or completed (run all again)")  # fmt: skip
    latest = p.add_mutually_exclusive_group()
    latest.add_argument("--run-on-latest-version", dest="run_on_latest_version", action="store_true", default=True,
                        help="Run on the DAG's latest version (always the case in riir-airflow)")  # fmt: skip
    latest.add_argument("--no-run-on-latest-version", dest="run_on_latest_version", action="store_false",
                        help="Accepted for compatibility: an app runs the version of its file")  # fmt: skip
    p.add_argument("-S", "--subdir", help="File or folder to load the DAG from (default: [core] dags_folder)")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_create)
