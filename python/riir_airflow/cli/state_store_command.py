"""`riir-airflow state-store clean [--dry-run]`, as `airflow state-store clean`.

Airflow's command deletes expired rows of the task state store (`task_state_store` rows whose `expires_at` has
passed, in `[state_store] state_cleanup_batch_size` batches) when the metastore backend is configured, and skips a
custom backend with a message; asset state (`asset_state_store`) never expires and is not touched. riir-airflow's
`task_state_store` table (migration 0016) holds the same rows, cleaned the same way; its asset state is left alone.
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
    from riir_airflow.cli.metastore_access import with_db

    if args.dry_run:
        expired = with_db(lambda db: db.fetch(
            "SELECT dag_id, run_id, task_id, map_index, key FROM task_state_store WHERE expires_at < now() "
            "ORDER BY dag_id, run_id, task_id, map_index, key"
        ))  # fmt: skip
        if not expired:
            print("Nothing to delete.")
            return 0
        print(f"Would delete {len(expired)} task state store row(s):\n")
        for row in expired:
            print(f"  Dag {row['dag_id']!r}, run {row['run_id']!r}, task {row['task_id']!r}, "
                  f"map_index {row['map_index']!r}, key {row['key']!r}")  # fmt: skip
        return 0
    log.info("Running task state store cleanup")
    batch = conf.getint("state_store", "state_cleanup_batch_size", fallback=0)
    deleted = with_db(lambda db: _delete_expired(db, batch))
    log.info("Deleted expired task_state_store rows rows_deleted=%d", deleted)
    return 0


async def _delete_expired(db: Any, batch: int) -> int:
    """Expired rows, `batch` at a time (all at once when batch <= 0), each batch its own transaction."""
    total = 0
    limit = "LIMIT $1" if batch > 0 else ""
    while True:
        status = await db.execute(
            "DELETE FROM task_state_store WHERE ctid IN (SELECT ctid FROM task_state_store WHERE expires_at < now() "
            f"{limit})",
            *([batch] if batch > 0 else []),
        )  # fmt: skip
        count = int(status.split()[-1])
        total += count
        if batch <= 0 or count < batch:
            return total


def register(groups: Any) -> None:
    parser = groups.add_parser("state-store", help="Manage task and asset state storage")
    commands = parser.add_subparsers(dest="state_store_command", metavar="COMMAND", required=True)
    p = commands.add_parser("clean", help="Remove expired task state store rows (metastore backend only)")
    p.add_argument("--dry-run", action="store_true", help="Perform a dry run")
    add_verbose_argument(p)
    p.set_defaults(func=cmd_clean)
