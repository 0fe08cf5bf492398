"""`riir-airflow jobs check`, as `airflow jobs check`. riir-airflow has no scheduler, triggerer or DAG processor
jobs: each DAG app schedules, triggers and parses for its own file, so the check counts live DAG apps (a heartbeat
within `[scheduler] scheduler_health_check_threshold` seconds). This is what a Kubernetes liveness probe runs."""

from __future__ import annotations

import argparse
import datetime
import socket
from typing import Any

from riir_airflow.cli.metastore_access import with_db
from riir_airflow.cli.output import add_verbose_argument


def cmd_check(args: argparse.Namespace) -> int:
    from riir_airflow.config import conf
    from riir_airflow.metastore import queries

    if args.hostname and args.local:
        raise SystemExit("You can't use --hostname and --local at the same time")
    if args.allow_multiple and args.limit <= 1:
        raise SystemExit("To use option --allow-multiple, you must set the limit to a value greater than 1.")
    threshold = conf.getint("scheduler", "scheduler_health_check_threshold", fallback=30)
    hostname = socket.getfqdn() if args.local else args.hostname

    async def work(db: Any) -> list[Any]:
        return await queries.list_apps(db, alive_within=datetime.timedelta(seconds=threshold))

    alive = [a for a in with_db(work) if hostname is None or a.hostname in (hostname, hostname.split(".")[0])]
    count = min(len(alive), args.limit)
    if count == 0:
        raise SystemExit("No alive jobs found.")
    if count > 1 and not args.allow_multiple:
        raise SystemExit(f"Found {count} alive jobs. Expected only one.")
    print("Found one alive job." if count == 1 else f"Found {count} alive jobs.")
    return 0


def register(groups: Any) -> None:
    parser = groups.add_parser("jobs", help="Manage jobs (riir-airflow's jobs are its DAG apps)")
    commands = parser.add_subparsers(dest="jobs_command", metavar="COMMAND", required=True)
    p = commands.add_parser("check", help="Checks if job(s) are still alive")
    job_help = "Accepted for compatibility: every type is done by the DAG apps, which are checked"
    p.add_argument("--job-type", choices=("SchedulerJob", "TriggererJob", "DagProcessorJob"), help=job_help)
    p.add_argument("--hostname", help="The hostname of job(s) that will be checked.")
    p.add_argument("--local", action="store_true", help="If passed, this command will only show jobs from the "
                   "local host (those with a hostname matching what `hostname_callable` returns).")  # fmt: skip
    p.add_argument("--limit", type=int, default=1, help="The number of recent jobs that will be checked. To disable "
                   "limit, set 0.")  # fmt: skip
    p.add_argument("--allow-multiple", action="store_true", help="If passed, this command will be successful even if "
                   "multiple matching alive jobs are found.")  # fmt: skip
    add_verbose_argument(p)
    p.set_defaults(func=cmd_check)
