"""Reads what a side's metastore holds about the scenario DAGs after the scenarios ran, as plain JSON records.

Both metastores mirror Airflow's tables (dag, dag_run, task_instance, task_instance_history, xcom, task_reschedule),
so one set of queries serves both; QUERIES_BY_SIDE holds where they differ. psycopg2 (stdlib-only otherwise):
this module runs in Airflow's venv too. Derived facts (overlaps, orders) are computed by check.py, not here, so
changing a comparison does not re-run Airflow.
"""

import json
import os
from pathlib import Path

QUERIES = {
    "dag": "SELECT is_paused FROM dag WHERE dag_id = %s",
    "runs": """SELECT run_id, logical_date, run_type, state, start_date, end_date
               FROM dag_run WHERE dag_id = %s ORDER BY logical_date NULLS LAST, run_id""",
    "tis": """SELECT run_id, task_id, map_index, state, try_number, priority_weight, start_date, end_date
              FROM task_instance WHERE dag_id = %s ORDER BY run_id, task_id, map_index""",
    "history": """SELECT run_id, task_id, map_index, try_number, state, start_date, end_date
                  FROM task_instance_history WHERE dag_id = %s ORDER BY run_id, task_id, map_index, try_number""",
    "xcom": """SELECT run_id, task_id, map_index, key, value FROM xcom WHERE dag_id = %s
               ORDER BY run_id, task_id, map_index, key""",
    "reschedules": """SELECT ti.run_id, ti.task_id, ti.map_index, count(*) FROM task_reschedule tr
                      JOIN task_instance ti ON ti.id = tr.ti_id WHERE ti.dag_id = %s
                      GROUP BY ti.run_id, ti.task_id, ti.map_index ORDER BY 1, 2, 3""",
}


def _json(value):
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, memoryview | bytes):
        value = bytes(value).decode()
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _rows(cursor, sql, dag_id, columns):
    cursor.execute(sql, (dag_id,))
    return [{c: _json(v) for c, v in zip(columns, row, strict=True)} for row in cursor.fetchall()]


def extract(dsn, dag_ids):
    """{dag_id: {is_paused, runs, tis, history, xcom, reschedules}} from the metastore at `dsn`."""
    import psycopg2

    conn = psycopg2.connect(dsn)
    try:
        cursor = conn.cursor()
        out = {}
        for dag_id in dag_ids:
            cursor.execute(QUERIES["dag"], (dag_id,))
            row = cursor.fetchone()
            out[dag_id] = {
                "is_paused": None if row is None else bool(row[0]),
                "runs": _rows(cursor, QUERIES["runs"], dag_id,
                              ["run_id", "logical_date", "run_type", "state", "start_date", "end_date"]),
                "tis": _rows(cursor, QUERIES["tis"], dag_id, ["run_id", "task_id", "map_index", "state", "try_number",
                                                              "priority_weight", "start_date", "end_date"]),
                "history": _rows(cursor, QUERIES["history"], dag_id,
                                 ["run_id", "task_id", "map_index", "try_number", "state", "start_date", "end_date"]),
                "xcom": _rows(cursor, QUERIES["xcom"], dag_id, ["run_id", "task_id", "map_index", "key", "value"]),
                "reschedules": _rows(cursor, QUERIES["reschedules"], dag_id, ["run_id", "task_id", "map_index",
                                                                              "count"]),
            }  # fmt: skip
        return out
    finally:
        conn.close()


def read_trace(folder):
    folder = Path(folder)
    return {p.name: sorted(p.read_text().splitlines()) for p in sorted(folder.iterdir()) if p.suffix == ".log"}


def run_scenarios(api, scenarios, on_error=None):
    """Runs every scenario's steps in its own thread; returns {name: error text or None}."""
    import threading
    import traceback

    errors = {}

    def one(sc):
        try:
            sc.steps(api)
            errors[sc.name] = None
        except Exception as exc:  # reported per scenario: one stuck scenario must not hide the others' results
            errors[sc.name] = f"{type(exc).__name__}: {exc}"
            if on_error:
                on_error(sc.name, traceback.format_exc())

    threads = [threading.Thread(target=one, args=(sc,), name=sc.name) for sc in scenarios]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def dsn_env():
    return os.environ.get("RIIR_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
