"""`riir-airflow rotate-fernet-key`: re-encrypt stored secrets with the first key of `[core] fernet_key`.

As in Airflow: put the new key first (`new_key,old_key`), run this, then drop the old key from the setting.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from riir_airflow.exceptions import AirflowException


async def _rotate() -> tuple[int, int]:
    from riir_airflow.metastore.pool import connect, resolve_settings
    from riir_airflow.metastore.secrets import rotate_fernet_key

    conn = await connect(resolve_settings())
    try:
        return await rotate_fernet_key(conn)
    finally:
        await conn.close()


def _run(args: argparse.Namespace) -> int:
    try:
        asyncio.run(_rotate())
    except (AirflowException, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def register(groups: Any) -> None:
    parser = groups.add_parser(
        "rotate-fernet-key",
        help="Rotate encrypted connection credentials and variables",
        description="Rotate all encrypted connection credentials and variables with the first key of "
        "[core] fernet_key (the others may still decrypt).",
    )
    parser.set_defaults(func=_run)
