"""API compat check: real Airflow 3.3.2's `airflow api-server` and riir's broker serve the same DAG; the same
requests go to both and the response shapes (status codes, keys and JSON types, recursively) are compared.

    python compat-tests/api/check.py [--refresh]

Airflow's side (airflow_side.py, run by the reference venv) is cached under ~/.cache/riir-airflow/compat/. On
riir's side the DAG is written into a fresh PostgreSQL database with the metastore's query functions
(tests/broker/seed.py) and the broker is started on a loopback port. Values differ (ids, dates) and are not
compared; a null on one side and a value on the other is not a difference either.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE.parent), str(HERE), str(ROOT)]

from compat_lib import airflow_output  # noqa: E402
from requests_spec import REQUESTS  # noqa: E402


def shape(value: Any) -> Any:
    """The JSON shape of a value: dicts by key, lists by the union of their items' shapes, scalars by type."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = merge(merged, shape(item))
        return [merged] if value else []
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string"


def merge(a: Any, b: Any) -> Any:
    if a is None or a == "null":
        return b
    if b is None or b == "null":
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: merge(a.get(k), b.get(k)) for k in {*a, *b}}
    return a


# Free-form JSON objects whose keys are user data, not part of the response shape.
FREE_FORM = ("conf", "extra", "params", "default_args", "value", "rendered_fields", "owner_links", "dag_run_conf")


# Keys the spec marks optional that one side may leave out for reasons of data, not shape.
OPTIONAL = {
    # Airflow's log header lines ("::group::Log message source details") carry no timestamp; task lines do.
    "body.content[].timestamp",
}


def compare(expected: Any, actual: Any, path: str) -> list[str]:
    if path.rsplit(".", 1)[-1].removesuffix("[]") in FREE_FORM:
        return []
    if expected == "null" or actual == "null" or expected == [] or actual == []:
        return []  # data differs (empty list or null on one side): nothing to compare
    if isinstance(expected, dict) and isinstance(actual, dict):
        diffs = [f"{path}.{k}: missing in riir" for k in sorted(set(expected) - set(actual))
                 if f"{path}.{k}" not in OPTIONAL]  # fmt: skip
        diffs += [f"{path}.{k}: not in Airflow" for k in sorted(set(actual) - set(expected))
                  if f"{path}.{k}" not in OPTIONAL]  # fmt: skip
        for k in sorted(set(expected) & set(actual)):
            diffs += compare(expected[k], actual[k], f"{path}.{k}")
        return diffs
    if isinstance(expected, list) and isinstance(actual, list):
        return compare(expected[0], actual[0], f"{path}[]")
    if expected != actual:
        return [f"{path}: Airflow {json.dumps(expected)[:80]} != riir {json.dumps(actual)[:80]}"]
    return []


async def riir_side() -> dict[str, Any]:
    import httpx
    from tests.broker.conftest import ServerThread, broker_config, free_port, prepare_database
    from tests.broker.seed import RUN_ID
    from tests.conftest import temporary_database

    from riir_airflow.broker.app import create_app

    async with temporary_database() as dsn:
        await prepare_database(dsn)
        with tempfile.TemporaryDirectory() as home:
            config = broker_config(Path(home), dsn)
            port = free_port()
            url = f"http://127.0.0.1:{port}"

            def run() -> dict[str, Any]:
                with ServerThread(create_app(config), port), httpx.Client(base_url=url, timeout=60) as client:
                    login = client.post("/auth/token", json={"username": "admin", "password": "pw-admin"})
                    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                    out: dict[str, Any] = {"token": [login.status_code, login.json()]}
                    for name, method, template, body in REQUESTS:
                        path = template.replace("{done_run}", RUN_ID)
                        if body == "NO_TOKEN":
                            response = client.request(method, path)
                        else:
                            response = client.request(method, path, json=body, headers=headers)
                        out[name] = [response.status_code, response.json() if response.content else None]
                    return out

            return await asyncio.to_thread(run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", action="store_true", help="recompute Airflow's side, ignoring the cache")
    args = parser.parse_args()
    if args.refresh:
        os.environ["RIIR_COMPAT_REFRESH"] = "1"
    inputs = [HERE / "dags", HERE / "requests_spec.py"]
    airflow = json.loads(airflow_output("api", HERE / "airflow_side.py", [], inputs, timeout=600))
    riir = asyncio.run(riir_side())
    failures = 0
    names = ["token"] + [name for name, *_ in REQUESTS]
    for name in names:
        (a_status, a_body), (r_status, r_body) = airflow[name], riir[name]
        diffs = [] if a_status == r_status else [f"status: Airflow {a_status} != riir {r_status}"]
        diffs += compare(shape(a_body), shape(r_body), "body")
        print(f"{'ok  ' if not diffs else 'DIFF'} {name}")
        for line in diffs:
            print(f"       {line}")
        failures += bool(diffs)
    print(f"\n{len(names) - failures}/{len(names)} requests with identical status codes and response shapes")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
