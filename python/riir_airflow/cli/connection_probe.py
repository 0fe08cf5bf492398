"""Tests one connection with its provider's hook, in a process of its own: `POST /api/v2/connections/test`.

    echo '{"conn_type": "postgres", "host": "...", ...}' | python -m riir_airflow.cli.connection_probe

The broker never imports DAG or provider code, and a hook's `test_connection` can block, crash or leak; so the
broker starts this module, writes the connection's fields as JSON to its stdin (never argv or the environment)
and reads `{"status": bool, "message": str}` from its stdout, with a time limit. Like Airflow's endpoint, the
connection gets a random transient id while it is tested, so that a hook that looks it up by id finds it.
"""

from __future__ import annotations

import json
import secrets
import string
import sys

FIELDS = ("conn_type", "description", "host", "schema", "login", "password", "port", "extra")


def main() -> int:
    try:
        fields = json.load(sys.stdin)
    except ValueError as exc:
        print(json.dumps({"status": False, "message": f"bad request to the probe: {exc}"}))
        return 2
    from riir_airflow.authoring.connection import Connection

    transient = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(16))
    connection = Connection(conn_id=transient, **{k: fields.get(k) for k in FIELDS})
    status, message = connection.test_connection()
    # The last line of stdout is the answer; whatever the hook printed before it is ignored.
    print("\n" + json.dumps({"status": status, "message": message}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
