"""Airflow commands whose job riir-airflow does differently: `scheduler`, `dag-processor` and `triggerer` say in
one line what replaces them and exit 2. They accept Airflow's flags so that scripts fail with that line, not with
an argument error."""

from __future__ import annotations

import argparse
import sys
from typing import Any

REPLACEMENTS = {
    "scheduler": "riir-airflow has no scheduler: each DAG file's app schedules its own DAGs "
    "(`riir-airflow app dags/x.py`, or `riir-airflow standalone` for all of them)",
    "dag-processor": "riir-airflow has no DAG processor: each DAG file's app parses only its own file "
    "(`riir-airflow app dags/x.py`; `riir-airflow dags reserialize` stores the folder's DAGs)",
    "triggerer": "riir-airflow has no triggerer: each DAG file's app runs the triggers of its deferred tasks "
    "(`riir-airflow app dags/x.py`)",
}
HELP = {"scheduler": "Start a scheduler instance (replaced by the DAG apps)",
        "dag-processor": "Start a dag processor instance (replaced by the DAG apps)",
        "triggerer": "Start a triggerer instance (replaced by the DAG apps)"}  # fmt: skip


def explain(args: argparse.Namespace) -> int:
    print(REPLACEMENTS[args.command], file=sys.stderr)
    return 2


def register(groups: Any) -> None:
    daemon: list[tuple[str, ...]] = [
        ("-D", "--daemon"),
        ("--pid",),
        ("--stdout",),
        ("--stderr",),
        ("-l", "--log-file"),
        ("-v", "--verbose"),
    ]
    flags: dict[str, list[tuple[str, ...]]] = {
        "scheduler": [("-n", "--num-runs"), ("-i", "--only-idle"), ("-s", "--skip-serve-logs"), ("-d", "--dev")],
        "dag-processor": [("-B", "--bundle-name"), ("-n", "--num-runs"), ("-d", "--dev")],
        "triggerer": [("--capacity",), ("--queues",), ("--team-name",), ("-s", "--skip-serve-logs"), ("-d", "--dev")],
    }
    for name, own in flags.items():
        p = groups.add_parser(name, help=HELP[name], description=REPLACEMENTS[name])
        for names in own + daemon:
            p.add_argument(*names, nargs="?", const=True, help=argparse.SUPPRESS)
        p.set_defaults(func=explain)
