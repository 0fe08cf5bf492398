"""Airflow commands whose job riir-airflow does differently: `scheduler`, `dag-processor`, `triggerer` and (where
the cncf-kubernetes provider is installed, as in Airflow) the KubernetesExecutor's `kubernetes` tools say in
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


# The KubernetesExecutor's commands (Airflow lists them when apache-airflow-providers-cncf-kubernetes is installed).
KUBERNETES = (
    "riir-airflow has no KubernetesExecutor: on Kubernetes each DAG file's app is its own Deployment and runs "
    "its tasks in its own pod (docs/kubernetes.md); `@task.kubernetes` and KubernetesPodOperator still start pods"
)
KUBERNETES_COMMANDS: dict[str, tuple[str, list[tuple[str, ...]]]] = {
    "cleanup-pods": ("Clean up Kubernetes pods (created by KubernetesExecutor/KubernetesPodOperator) in evicted/failed/"
                     "succeeded/pending states", [("--namespace",), ("--min-pending-minutes",),
                                                  ("--min-completed-minutes",)]),
    "generate-dag-yaml": ("Generate YAML files for all tasks in DAG. Useful for debugging tasks without launching "
                          "into a cluster", [("dag_id",), ("-l", "--logical-date"), ("-B", "--bundle-name"),
                                             ("-o", "--output-path"), ("--team",)]),
}  # fmt: skip


def explain(args: argparse.Namespace) -> int:
    print(REPLACEMENTS.get(args.command, KUBERNETES), file=sys.stderr)
    return 2


def _kubernetes_provider_installed() -> bool:
    import importlib.metadata

    try:
        importlib.metadata.distribution("apache-airflow-providers-cncf-kubernetes")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


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
    if _kubernetes_provider_installed():
        group = groups.add_parser("kubernetes", help="Tools to help run the KubernetesExecutor", description=KUBERNETES)
        commands = group.add_subparsers(dest="kubernetes_command", metavar="COMMAND", required=True)
        for name, (text, arguments) in KUBERNETES_COMMANDS.items():
            sub = commands.add_parser(name, help=text, description=KUBERNETES)
            for names in [*arguments, ("-v", "--verbose")]:
                if names[0].startswith("-"):
                    sub.add_argument(*names, nargs="?", const=True, help=argparse.SUPPRESS)
                else:
                    sub.add_argument(*names, nargs="?", help=argparse.SUPPRESS)
            sub.set_defaults(func=explain)
