"""Provider example DAGs side by side: each matrix provider's own example DAGs that need no outside network load
with the same structure and run with `dags test` to the same outcome under Airflow 3.3.2 and riir-airflow.

    python compat-tests/providers/check.py [DAG_ID ...]

Per case (cases.py), each side gets fresh local resources — a new PostgreSQL database seeded the same way, a new
sqlite file, a new FTP root, the same redis keys — and the same local servers (tests/providers/servers.py), named by
`AIRFLOW_CONN_*` variables. Airflow runs in its reference venv, where the same provider versions are installed
first; its results are read from its metadata database as the behaviour suite does and compared with riir's
`--save-results` using the behaviour suite's diff. Structure is compared with the structure suite's dump_facts.py.
Exits 1 on any difference.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (ROOT, HERE.parent, HERE.parent / "behaviour", HERE):
    sys.path.insert(0, str(path))

import asyncpg  # noqa: E402
from airflow_env import VENV, airflow_env, airflow_python  # noqa: E402
from airflow_side import base_database, read_results  # noqa: E402
from cases import CASES, STRUCTURE_ONLY, ExampleCase  # noqa: E402
from compat_lib import airflow_output, run_riir  # noqa: E402
from examples import SHIM, example_file  # noqa: E402
from tests.providers.servers import ftp_server, httpbin_server, slack_server, ssh_server  # noqa: E402

BEHAVIOUR_CHECK = HERE.parent / "behaviour" / "check.py"
STRUCTURE_CHECK = HERE.parent / "structure" / "check.py"
DUMP = HERE.parent / "structure" / "dump_facts.py"
PG_ADMIN = os.environ.get("RIIR_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_DB = 13  # a redis database of the compat suite's own
RUN_TIMEOUT = 600
# Airflow's `[core] dagbag_import_timeout` (30 s) is too short for the kubernetes example on a busy machine:
# compat_lib.airflow_env raises it for every reference process; part of the structure cache key.
TIMEOUT_KEY = "dagbag_import_timeout=300"


def _load(path: Path, name: str) -> Any:
    """A suite's check.py by path (all three suites name their script check.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_airflow_providers() -> None:
    """The reference venv gets the same provider versions as the project venv (with Airflow, as usual there)."""
    import importlib.metadata

    airflow_python()
    dists = {c.dist for c in CASES} | {d for c in CASES for d in c.extra_dists} | {d for d, _ in STRUCTURE_ONLY}
    wanted = sorted(f"{dist}=={importlib.metadata.version(dist)}" for dist in dists)
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", *wanted], check=True)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends: nobody listens there


@contextlib.contextmanager
def fresh_database(setup: tuple[str, ...]) -> Iterator[str]:
    name = f"riir_provider_example_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def seed(dsn: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            for statement in setup:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    dsn = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        asyncio.run(seed(dsn))
        yield dsn.replace("postgresql://", "postgres://", 1)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def redis_reset(keys: dict[str, str]) -> None:
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    client.flushdb()
    for key, value in keys.items():
        client.set(key, value)


@contextlib.contextmanager
def resources(case: ExampleCase, tmp: Path) -> Iterator[dict[str, str]]:
    """Fresh per-run resources and the AIRFLOW_CONN_* variables naming them."""
    (tmp / "ftp").mkdir()
    (tmp / "sftp").mkdir()
    for folder in case.sftp_dirs:
        (tmp / "sftp" / folder).mkdir(parents=True)
    with contextlib.ExitStack() as stack:
        http = stack.enter_context(httpbin_server())
        ftp = stack.enter_context(ftp_server(tmp / "ftp"))
        pg = stack.enter_context(fresh_database(case.pg_setup))
        slack = stack.enter_context(slack_server())
        uses_sftp = any("{sftp}" in template for template in case.connections.values())
        ssh = stack.enter_context(ssh_server(tmp / "sftp")) if uses_sftp else None
        redis_reset(case.redis_keys)
        for path, content in case.local_files.items():
            Path(path).write_text(content)
        values = {
            "pg": pg,
            "http": f"http://127.0.0.1:{http.port}",
            "ftp": f"ftp://{ftp.user}:{ftp.password}@127.0.0.1:{ftp.port}",
            "sqlite": str(tmp / "example.db"),
            "closed": f"ftp://user:pw@127.0.0.1:{closed_port()}",
            # RedisHook takes the database number from the `db` extra.
            "redis": json.dumps({"conn_type": "redis", "host": "127.0.0.1", "port": 6379, "extra": {"db": REDIS_DB}}),
            # SlackHook takes the Web API's address from the `base_url` extra; the webhook hook posts to host + token.
            "slack_api": json.dumps({"conn_type": "slack", "password": "xoxb-local-token",
                                     "extra": {"base_url": f"http://127.0.0.1:{slack.port}/api/"}}),
            "slack_webhook": json.dumps({"conn_type": "slackwebhook", "schema": "http",
                                         "host": f"127.0.0.1:{slack.port}/services", "password": "T0/B0/LOCAL"}),
            "sftp": json.dumps({"conn_type": "sftp", "host": "127.0.0.1", "port": ssh.port if ssh else 0,
                                "login": "riir", "password": "secret", "extra": {"no_host_key_check": True}}),
        }  # fmt: skip
        yield {f"AIRFLOW_CONN_{conn_id.upper()}": tpl.format(**values) for conn_id, tpl in case.connections.items()}


def _stage(case: ExampleCase, folder: Path) -> Path:
    """The example and the files next to it (SQL templates) in `folder`."""
    source = example_file(case.dist, case.path)
    for sibling in source.parent.iterdir():
        if sibling.is_file() and (sibling == source or sibling.suffix != ".py"):
            shutil.copy2(sibling, folder / sibling.name)
    return folder / source.name


RESULTS_CACHE = Path.home() / ".cache" / "riir-airflow" / "compat" / "providers"
HARNESS_VERSION = "1"


def _case_key(case: ExampleCase) -> str:
    """What determines Airflow's results: the example and the files next to it, the case, the harness, versions."""
    import dataclasses
    import hashlib
    import importlib.metadata

    from airflow_env import AIRFLOW_VERSION

    versions = "\0".join(importlib.metadata.version(dist) for dist in (case.dist, *case.extra_dists))
    digest = hashlib.sha256(f"{HARNESS_VERSION}\0{AIRFLOW_VERSION}\0{versions}".encode())
    digest.update(json.dumps(dataclasses.asdict(case), sort_keys=True).encode())
    source = example_file(case.dist, case.path)
    for sibling in sorted(source.parent.iterdir()):
        if sibling.is_file():
            digest.update(sibling.name.encode() + b"\0" + sibling.read_bytes())
    for shim_file in sorted(SHIM.rglob("*.py")):
        digest.update(shim_file.read_bytes())
    digest.update((ROOT / "tests" / "providers" / "servers.py").read_bytes())
    return digest.hexdigest()[:16]


def airflow_results(case: ExampleCase) -> tuple[dict[str, Any], str]:
    """Airflow's results for `case`, cached (the local servers answer deterministically)."""
    cached = RESULTS_CACHE / f"{case.dag_id}-{_case_key(case)}.json"
    if cached.exists() and not os.environ.get("RIIR_COMPAT_REFRESH"):
        return json.loads(cached.read_text()), f"(cached: {cached.with_suffix('.log')})"
    results, log = run_airflow(case)
    RESULTS_CACHE.mkdir(parents=True, exist_ok=True)
    cached.with_suffix(".log").write_text(log)
    cached.write_text(json.dumps(results, indent=1, sort_keys=True))
    return results, log


def run_airflow(case: ExampleCase) -> tuple[dict[str, Any], str]:
    with tempfile.TemporaryDirectory(prefix="provider-example-airflow-") as tmp_name:
        tmp = Path(tmp_name)
        home, dags = tmp / "home", tmp / "dags"
        home.mkdir()
        dags.mkdir()
        shutil.copy2(base_database(), home / "airflow.db")
        _stage(case, dags)
        with resources(case, tmp) as conns:
            env = {**airflow_env(home), **conns, "PYTHONPATH": str(SHIM), "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
            proc = subprocess.run(
                ["airflow", "dags", "test", case.dag_id, case.logical_date], env=env, cwd=tmp, capture_output=True,
                text=True, timeout=RUN_TIMEOUT,
            )  # fmt: skip
        log = f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return read_results(home / "airflow.db", case.dag_id), log


def run_riir_side(case: ExampleCase) -> tuple[dict[str, Any] | None, str]:
    with tempfile.TemporaryDirectory(prefix="provider-example-riir-") as tmp_name:
        tmp = Path(tmp_name)
        dags = tmp / "dags"
        dags.mkdir()
        dag_file = _stage(case, dags)
        save = tmp / "results.json"
        with resources(case, tmp) as conns:
            env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
            env.update(conns, PYTHONPATH=str(SHIM), RIIR_AIRFLOW_COMPAT="1", AIRFLOW_HOME=str(tmp / "home"))
            proc = subprocess.run(
                [sys.executable, "-m", "riir_airflow", "dags", "test", str(dag_file), case.logical_date,
                 "--save-results", str(save)],
                env=env, cwd=tmp, capture_output=True, text=True, timeout=RUN_TIMEOUT,
            )  # fmt: skip
        log = f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return (json.loads(save.read_text()) if save.exists() else None), log


def _sorted(results: dict[str, Any]) -> dict[str, Any]:
    from common import normalize, sort_results  # behaviour/common.py

    return normalize(sort_results({**results, "files": []}))


def _hash_ordered_as_sets(facts: dict[str, Any]) -> dict[str, Any]:
    """template_fields of the classes whose order follows the string-hash seed in Airflow, sorted (the examples
    suite's HASH_ORDERED_TEMPLATE_FIELDS, which its check shows to vary between Airflow processes)."""
    hash_ordered = _load(HERE.parent / "examples" / "cases.py", "examples_cases").HASH_ORDERED_TEMPLATE_FIELDS
    for dag in facts["dags"].values():
        for task in dag["tasks"].values():
            if task.get("class") in hash_ordered and "template_fields" in task:
                task["template_fields"] = sorted(task["template_fields"])
    return facts


def structure(cases: list[ExampleCase]) -> list[str]:
    """Structure facts of every example, under both implementations."""
    with tempfile.TemporaryDirectory(prefix="provider-examples-") as tmp_name:
        folder = Path(tmp_name) / "examples"
        folder.mkdir()
        for case in cases:
            sub = folder / case.dag_id
            sub.mkdir()
            _stage(case, sub)
        for dist, relative in STRUCTURE_ONLY if len(cases) == len(CASES) else []:
            sub = folder / Path(relative).stem
            sub.mkdir()
            source = example_file(dist, relative)
            for sibling in source.parent.iterdir():
                if sibling.is_file() and (sibling == source or sibling.suffix != ".py"):
                    shutil.copy2(sibling, sub / sibling.name)
        os.environ["PYTHONPATH"] = str(SHIM)
        expected = json.loads(
            airflow_output("providers-structure", DUMP, [str(folder), "--impl", "airflow"], [folder], key=[TIMEOUT_KEY])
        )
        code, out, err = run_riir(DUMP, [str(folder), "--impl", "riir"])
        if code != 0:
            return [f"riir could not dump the examples' structure:\n{err[-3000:]}"]
        actual = json.loads(out)
    report, _same = _load(STRUCTURE_CHECK, "structure_check").compare(
        _hash_ordered_as_sets(expected), _hash_ordered_as_sets(actual)
    )
    problems = [f"{title}: {line}" for title, lines in report.items() for line in lines]
    if expected["import_errors"] or not {c.dag_id for c in cases} <= set(expected["dags"]):
        problems.append(f"Airflow did not load every example: {expected['import_errors']}")
    return problems


def main() -> int:
    selected = set(sys.argv[1:])
    cases = [c for c in CASES if not selected or c.dag_id in selected]
    ensure_airflow_providers()
    failed = False
    problems = structure(cases)
    for line in problems:
        print(f"structure: {line}")
    print(f"structure: {'MISMATCH' if problems else 'same'} for {len(cases)} examples")
    failed = failed or bool(problems)
    diff_results = _load(BEHAVIOUR_CHECK, "behaviour_check").diff_results
    for case in cases:
        airflow, airflow_log = airflow_results(case)
        riir, riir_log = run_riir_side(case)
        if riir is None:
            print(f"{case.dag_id}: riir produced no results\n{riir_log}")
            failed = True
            continue
        lines = diff_results(_sorted(airflow), _sorted(riir))
        summary = f"run {airflow['run_state']}, " + ", ".join(
            f"{t['task_id']}={t['state']}" for t in sorted(airflow["task_instances"], key=lambda t: t["task_id"])
        )
        if lines:
            failed = True
            print(f"{case.dag_id}: MISMATCH (airflow: {summary})")
            for line in lines:
                print(f"    {line}")
            print(f"  airflow log:\n{airflow_log}\n  riir log:\n{riir_log}")
        else:
            print(f"{case.dag_id}: same ({summary})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
