"""`POST /api/v2/connections/test` as Airflow 3.3 does it when `[core] test_connection = Enabled`: the request's
fields, merged with the stored connection of the same id (masked `***` values keep the stored secret), are tested
by the provider hook's own `test_connection`.

The hook is provider code, which the broker never imports: the test runs in a child process
(`python -m riir_airflow.cli.connection_probe`) that receives the fields on stdin, under a time limit
(`[broker] test_connection_timeout`, 60 s by default), with the metastore's address removed from its environment.
A hook that hangs or crashes costs that child, never the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from typing import Any

from riir_airflow.metastore.records import ConnectionRecord
from riir_airflow.secrets_masker import REPLACEMENT

FIELDS = ("conn_type", "description", "host", "schema", "login", "password", "port", "extra")
DEFAULT_TIMEOUT = 60.0


class EndpointChanged(ValueError):
    """The request changes host or port of a stored connection without supplying its own credentials."""


def unmask(new: Any, stored: Any) -> Any:
    """Airflow's secrets-masker `merge`: wherever the request carries the mask `***`, the stored value."""
    if new == REPLACEMENT:
        return stored
    if isinstance(new, dict) and isinstance(stored, dict):
        return {k: unmask(v, stored.get(k)) for k, v in new.items()}
    return new


def _blank(value: Any) -> Any:
    return None if value is None or value == "" else value  # the UI posts "" for hidden host/port fields


def fields_to_test(body: dict[str, Any], given: set[str], stored: ConnectionRecord | None) -> dict[str, Any]:
    """The connection to test: `body` (fields in `given` were sent) over the stored connection, as Airflow's
    update_orm_from_pydantic merges them. Stored credentials only go to the stored host and port."""
    if stored is None:
        return {k: body.get(k) for k in FIELDS}
    changed = any(k in given and _blank(body.get(k)) != _blank(getattr(stored, k)) for k in ("host", "port"))
    if changed:
        password = body.get("password")
        if not ("password" in given and password and password != REPLACEMENT):
            raise EndpointChanged(
                "The host or port to test differs from the stored connection. "
                "Include the credentials to test in the request body."
            )
        return {k: body.get(k) for k in FIELDS}
    out = {k: getattr(stored, k) for k in FIELDS}
    for key in given & set(FIELDS) - {"password", "extra"}:
        out[key] = body.get(key)
    if "password" in given:
        out["password"] = None if body.get("password") is None else unmask(body["password"], stored.password)
    if "extra" in given:
        extra = body.get("extra")
        if extra is None or stored.extra is None:
            out["extra"] = extra
        else:
            try:
                out["extra"] = json.dumps(unmask(json.loads(extra), json.loads(stored.extra)))
            except ValueError:
                out["extra"] = extra  # an unstructured extra cannot be merged
    return out


async def run_probe(fields: dict[str, Any], timeout: float = DEFAULT_TIMEOUT) -> tuple[bool, str]:
    """Tests `fields` in a child process; (status, message) as the hook's test_connection returned them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__DATABASE__", "PG"))}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "riir_airflow.cli.connection_probe",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(json.dumps(fields).encode()), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        return False, f"Testing the connection timed out after {timeout:g}s"
    lines = out.decode(errors="replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1])
        return bool(answer["status"]), str(answer["message"])
    except (IndexError, ValueError, KeyError, TypeError):
        tail = err.decode(errors="replace").strip().splitlines()[-5:]
        return False, f"The connection test process failed (exit {proc.returncode}): {' '.join(tail)}"
