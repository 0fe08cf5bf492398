"""`riir-airflow state-store clean [--dry-run]`, as `airflow state-store clean`.

Airflow's command deletes expired rows of the task state store (`task_state_store` rows whose `expires_at` has
passed, in `[state_store] state_cleanup_batch_size` batches) when the metastore backend is configured, and skips a
custom backend with a message; asset state (`asset_state_store`) never expires and is not touched. riir-airflow keeps
a try's `task_state_store` in the try's own process (runtime/task_instance.py) and writes no task state rows, so
the metastore backend has nothing that can expire: the command reports that in Airflow's words. Its asset state
(`asset_state`) is left alone, as Airflow leaves its own.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from riir_airflow.cli.output import add_verbose_argument

# [state_store] backend's default: the metastore backend the command cleans.
METASTORE_BACKEND = "airflow.state.metastore.MetastoreBackend"

log = logging.getLogger(__name__)


def cmd_clean(args: argparse.Namespace) -> int:
    from riir_airflow.config import conf

    backend = (conf.get("state_store", "backend", fallback=METASTORE_BACKEND) or METASTORE_BACKEND).strip()
    if backend not in (METASTORE_BACKEND, "riir_airflow.state.metastore.MetastoreBackend"):
        print(f"Custom state store backend configured ({backend.rpartition('.')[2]}); skipping. "
              "The clean command currently supports the metastore backend only.")  # fmt: skip
        return 0
    # No task state row is ever written (the module docstring says why), so none can have expired.
    if args.dry_run:
        print("Nothing to delete.")
        return 0
    log.info("Running task state store cleanup")
    log.info("Deleted expired task_state_store rows rows_deleted=0")
    return 0


def register(groups: Any) -> None:
    parser = groups.add_parser("state-store", help="Manage task and asset state storage")
    commands = parser.add_subparsers(dest="state_store_command", metavar="COMMAND", required=True)
    p = commands.add_parser("clean", help="Remove expired task state store rows (metastore backend only)")
    p.add_argument("--dry-run", action="store_true", help="Perform a dry run")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_clean)
