"""Run by real Airflow's interpreter: the CLI session of session.py against a fresh PostgreSQL database, printed as
JSON {step: {"rc": int, "stdout": str}}, and Airflow's parser tree under "__tree__". (check.py caches this.)"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from parser_tree import walk  # noqa: E402

ADMIN_DSN = os.environ.get("RIIR_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def ensure_driver():
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "psycopg2-binary"], check=True)


def admin(sql):
    import psycopg2

    conn = psycopg2.connect(ADMIN_DSN)
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


def main():
    ensure_driver()
    name = f"riir_cli_compat_{uuid.uuid4().hex[:10]}"
    admin(f'CREATE DATABASE "{name}"')
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://")
    env = dict(os.environ, AIRFLOW__CORE__DAGS_FOLDER=str(HERE / "dags"),
               AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"{base}/{name}", AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
               NO_COLOR="1", COLUMNS="200")  # fmt: skip
    airflow = str(Path(sys.executable).parent / "airflow")
    out = {}
    try:
        subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
        # One interpreter runs the whole session (an `airflow` process per step takes ~10 s to start here).
        session = subprocess.run([sys.executable, str(HERE / "airflow_steps.py")], env=env, capture_output=True,
                                 text=True, timeout=1500)  # fmt: skip
        if session.returncode != 0:
            raise RuntimeError(session.stderr[-4000:])
        out.update(json.loads(session.stdout.strip().splitlines()[-1]))
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    from airflow.cli.cli_parser import get_parser

    out["__tree__"] = walk(get_parser())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
