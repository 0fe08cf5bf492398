"""What both sides of the behaviour comparison share: the DAG list, per-DAG run options, the task environment, and
the results shape (see README.md in this folder).

Each DAG file in dags/ holds exactly one DAG whose dag_id is the file's stem. A file may set its run options in
header comments:

    # compat-date: 2024-03-05T00:00:00+00:00     (logical date; default DEFAULT_DATE)
    # compat-conf: {"n": 3}                      (JSON passed as --conf; default none)
    # compat-env: NAME=value                     (extra environment for this DAG only; may repeat)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DAGS_DIR = HERE / "dags"
CACHE_DIR = Path(os.environ.get("RIIR_COMPAT_CACHE", Path.home() / ".cache" / "riir-airflow" / "compat" / "behaviour"))
DEFAULT_DATE = "2024-03-05T00:00:00+00:00"

# Env var naming the directory where DAGs write observable side effects (callbacks, sensors' poke counts).
OUT_DIR_VAR = "BEHAVIOUR_OUT_DIR"

# Variables and connections the DAGs read; both sides run tasks with exactly this environment added.
TASK_ENV: dict[str, str] = {
    "AIRFLOW_VAR_GREETING": "hello",
    "AIRFLOW_VAR_NUMBER": "42",
    "AIRFLOW_VAR_SETTINGS": '{"region": "eu", "sizes": [1, 2, 3], "nested": {"on": true}}',
    "AIRFLOW_CONN_PG_URI": "postgres://alice:s3cr%2Ft@db.example.com:5433/sales?sslmode=require&application_name=etl",
    "AIRFLOW_CONN_HTTP_JSON": json.dumps(
        {
            "conn_type": "http",
            "host": "api.example.com",
            "login": "bob",
            "password": "tok3n",
            "port": 8443,
            "schema": "https",
            "extra": {"timeout": 5, "verify": False},
        }
    ),
    "AIRFLOW_CONN_PLAIN_URI": "my-type://user@host.example.org",
}

# Bump when the way results are produced changes, so cached Airflow results are recomputed.
HARNESS_VERSION = "1"


@dataclass(frozen=True)
class Case:
    """One behaviour DAG and the options it is run with."""

    dag_id: str
    path: Path
    logical_date: str = DEFAULT_DATE
    conf: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def load_case(path: Path) -> Case:
    logical_date = DEFAULT_DATE
    conf: str | None = None
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.startswith("# compat-"):
            continue
        name, _, value = line[len("# compat-") :].partition(":")
        value = value.strip()
        if name == "date":
            logical_date = value
        elif name == "conf":
            json.loads(value)  # fail early on a typo rather than in both runners
            conf = value
        elif name == "env":
            key, _, val = value.partition("=")
            env[key] = val
        else:
            raise ValueError(f"{path}: unknown header '# compat-{name}:'")
    return Case(dag_id=path.stem, path=path, logical_date=logical_date, conf=conf, env=env)


def all_cases(selected: list[str] | None = None) -> list[Case]:
    cases = [load_case(p) for p in sorted(DAGS_DIR.glob("*.py")) if not p.name.startswith("_")]
    if selected:
        wanted = set(selected)
        cases = [c for c in cases if c.dag_id in wanted]
        missing = wanted - {c.dag_id for c in cases}
        if missing:
            raise SystemExit(f"unknown behaviour DAG(s): {', '.join(sorted(missing))}")
    return cases


def support_files() -> list[Path]:
    """Files next to the DAGs that they read (templates, helper modules): part of every case's cache key."""
    return sorted(p for p in DAGS_DIR.rglob("*") if p.is_file() and p.suffix != ".pyc" and p.parent != DAGS_DIR)


def case_key(case: Case, airflow_version: str) -> str:
    digest = hashlib.sha256()
    for part in (HARNESS_VERSION, airflow_version, case.logical_date, case.conf or "", json.dumps(case.env)):
        digest.update(part.encode() + b"\0")
    digest.update(json.dumps(TASK_ENV, sort_keys=True).encode())
    digest.update(case.path.read_bytes())
    for extra in support_files():
        digest.update(str(extra.relative_to(DAGS_DIR)).encode() + b"\0" + extra.read_bytes())
    return digest.hexdigest()[:16]


def task_environment(case: Case, out_dir: Path) -> dict[str, str]:
    """Variables to add to the runner's environment for this case."""
    return {**TASK_ENV, **case.env, OUT_DIR_VAR: str(out_dir)}


def collect_files(out_dir: Path) -> list[dict[str, str]]:
    """Side-effect files the DAG wrote into its out dir, as sorted [{name, content}]."""
    if not out_dir.is_dir():
        return []
    return [
        {"name": str(p.relative_to(out_dir)), "content": p.read_text()}
        for p in sorted(out_dir.rglob("*"))
        if p.is_file()
    ]


def sort_results(results: dict[str, Any]) -> dict[str, Any]:
    """Puts the lists of a results document in their canonical order."""

    def ti_key(row: dict[str, Any]) -> tuple[str, int]:
        return (row["task_id"], row["map_index"])

    out = dict(results)
    out["task_instances"] = sorted(results.get("task_instances", []), key=ti_key)
    out["xcoms"] = sorted(results.get("xcoms", []), key=lambda r: (*ti_key(r), r["key"]))
    out["rendered_fields"] = sorted(results.get("rendered_fields", []), key=ti_key)
    if "files" in results:
        out["files"] = sorted(results["files"], key=lambda r: r["name"])
    return out


# XCom keys whose list values Airflow builds by iterating a set of task ids: their order follows Python's per-process
# string hash seed, so it is random even between two Airflow runs. Compared as sorted lists (documented exception).
SET_ORDERED_XCOM_KEYS = {"skipmixin_key"}


# A manual run's id is `manual__<run_after>`, and `dags test` sets run_after to the wall clock: it differs between
# any two runs, even two Airflow runs (it shows in extra-link XComs such as `_link_ExternalDagLink`).
MANUAL_RUN_ID = re.compile(r"manual__\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")


def normalize(results: dict[str, Any]) -> dict[str, Any]:
    """Results with run-to-run noise of Airflow's own removed (see SET_ORDERED_XCOM_KEYS, MANUAL_RUN_ID)."""
    out = dict(results)
    xcoms = []
    for row in results.get("xcoms", []):
        if row.get("key") in SET_ORDERED_XCOM_KEYS and isinstance(row.get("value"), dict):
            value = {k: sorted(v) if isinstance(v, list) else v for k, v in row["value"].items()}
            row = {**row, "value": value}
        if isinstance(row.get("value"), str):
            row = {**row, "value": MANUAL_RUN_ID.sub("manual__<run_after>", row["value"])}
        xcoms.append(row)
    out["xcoms"] = xcoms
    return out
