"""`riir-airflow partitions clear`, as `airflow partitions clear`: forget the partition_key and partition_date of a
DAG's runs (one run, an exact key, or a partition_date window read in the timetable's zone), and with
`--clear-task-instances` clear their task instances so they run again."""

from __future__ import annotations

import argparse
from typing import Any

from riir_airflow.cli.dag_lookup import db_timetable, parse
from riir_airflow.cli.metastore_access import with_db
from riir_airflow.cli.output import add_verbose_argument


def _date_range(text: str) -> tuple[Any, Any]:
    """`--date a~b`: both sides parsed as `--start-date` / `--end-date` are."""
    parts = text.split("~", 1)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise SystemExit("--date must be in the form 'a~b', e.g. '2026-01-01~2026-01-31'.")
    try:
        return parse(parts[0].strip()), parse(parts[1].strip())
    except argparse.ArgumentTypeError:
        raise SystemExit("--date sides must be parseable as a date or datetime.") from None


def cmd_clear(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import clear_queries, partition_queries

    start, end = args.start_date, args.end_date
    has_range = start is not None or end is not None or args.date is not None
    if sum([args.run_id is not None, args.partition_key is not None, has_range]) != 1:
        raise SystemExit("Specify exactly one of --run-id, --partition-key, or a partition_date range "
                         "(--start-date/--end-date or --date).")  # fmt: skip
    if args.date is not None:
        if start is not None or end is not None:
            raise SystemExit("--date cannot be combined with --start-date / --end-date.")
        start, end = _date_range(args.date)
    clear_tis, dry_run = bool(args.clear_task_instances), bool(args.dry_run)

    async def work(db: Any) -> tuple[list[partition_queries.PartitionRun], int, int]:
        lower = upper = None
        if start is not None or end is not None:
            timetable = await db_timetable(db, args.dag_id)
            lower = None if start is None else timetable.localize_partition_datetime(start)
            upper = None if end is None else timetable.localize_partition_datetime(end)
            if lower is not None and upper is not None and lower > upper:
                if args.date is not None:
                    first, last = (side.strip() for side in args.date.split("~", 1))
                    raise SystemExit(f"--date: the start of the range ({first!r}) must be on or before the end "
                                     f"({last!r}).")  # fmt: skip
                raise SystemExit("--start-date must be on or before --end-date.")
        runs = await partition_queries.select_runs(
            db, args.dag_id, run_id=args.run_id, partition_key=args.partition_key, date_start=lower,
            date_end=upper, window_needs="any",
        )  # fmt: skip
        with_fields = [r.run_id for r in runs if r.has_partition_fields]
        every = [r.run_id for r in runs]
        tis = 0
        if dry_run:
            tis = await partition_queries.count_task_instances(db, args.dag_id, every) if clear_tis else 0
            return runs, len(with_fields), tis
        cleared = await partition_queries.clear_partition_fields(db, args.dag_id, with_fields)
        if clear_tis and every:
            tis = len(await clear_queries.clear(db, args.dag_id, every, follow_markers=False))
        return runs, cleared, tis

    runs, cleared, tis = with_db(work)
    for run in runs:
        if run.partition_key is not None or run.partition_date is not None:
            date = run.partition_date.isoformat() if run.partition_date else None
            print(f"DagRun {run.run_id}: partition_key={run.partition_key!r} -> None, partition_date={date} -> None")
        elif not clear_tis:
            print(f"DagRun {run.run_id}: already cleared, skipping.")
    if not runs:
        print(f"No matching DagRuns found for dag_id={args.dag_id}.")
        return 0
    if clear_tis:
        if dry_run:
            print(f"Dry run: would clear task instances on {len(runs)} DagRun(s) ({tis} task instance(s)).")
        else:
            print(f"Cleared task instances on {len(runs)} DagRun(s) ({tis} task instance(s)).")
    if dry_run:
        print(f"Dry run: would clear {cleared} DagRun(s). No changes written.")
    else:
        print(f"Cleared partition fields on {cleared} DagRun(s).")
    return 0


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("partitions", help="Manage Dag run partition metadata")
    commands = group.add_subparsers(dest="partitions_command", metavar="COMMAND", required=True)
    p = commands.add_parser("clear", help="Clear the partition_key and partition_date of one or more DagRuns")
    p.add_argument("-d", "--dag-id", required=True, help="The id of the Dag whose DagRun partition fields should be "
                   "cleared")  # fmt: skip
    p.add_argument("-r", "--run-id", help="Helps to identify this run")
    p.add_argument("-s", "--start-date", type=parse, help="Inclusive lower bound of the partition_date window.")
    p.add_argument("-e", "--end-date", type=parse, help="Inclusive upper bound of the partition_date window.")
    p.add_argument("-k", "--partition-key", help="Only clear DagRuns whose `partition_key` equals this exact value")
    p.add_argument("--date", help="Range expressed as 'a~b' (e.g. '2026-01-01~2026-01-31'); equivalent to "
                   "--start-date a --end-date b. Mutually exclusive with --start-date / --end-date.")  # fmt: skip
    p.add_argument("--clear-task-instances", action="store_true", help="Also clear the matching DagRuns' task "
                   "instances (resetting finished runs back to QUEUED so they re-execute), in addition to clearing "
                   "the partition fields.")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="Show which DagRuns would be cleared without modifying "
                   "the database")  # fmt: skip
    add_verbose_argument(p)
    p.set_defaults(func=cmd_clear)
