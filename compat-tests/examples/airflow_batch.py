"""Runs in real Airflow's venv: `dag.test()` (what `airflow dags test` calls) for several example DAGs in ONE process.

    python airflow_batch.py OUT_DIR LOGICAL_DATE DAG_ID [DAG_ID ...]

Needs AIRFLOW_HOME with a migrated SQLite database and `[core] load_examples = True`. Every DAG is looked up in
Airflow's example bundles, run with `dag.test(logical_date=...)` exactly as `airflow dags test DAG_ID DATE` does, and
its run read back from the metadata database by run id into OUT_DIR/<dag_id>.json (the behaviour suite's results
shape). One process saves Airflow's start-up and bundle parsing per DAG (about 80 s each on a busy 2-core machine).
A DAG whose run could not be made writes {"error": ...}; the caller reruns those one per process.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import traceback
from pathlib import Path
from typing import Any


def _json_column(raw: Any) -> Any:
    if raw is None or isinstance(raw, int | float):
        return raw
    return json.loads(raw)


def read_run(db: Path, dag_id: str, run_id: str) -> dict[str, Any]:
    con = sqlite3.connect(db)
    try:
        (state,) = con.execute("SELECT state FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)).fetchone()
        where = "WHERE dag_id = ? AND run_id = ?"
        tis = [
            {"task_id": t, "map_index": m, "state": s, "try_number": n}
            for t, m, s, n in con.execute(
                f"SELECT task_id, map_index, state, try_number FROM task_instance {where}", (dag_id, run_id)
            )
        ]
        xcoms = [
            {"task_id": t, "map_index": m, "key": k, "value": _json_column(v)}
            for t, m, k, v in con.execute(f"SELECT task_id, map_index, key, value FROM xcom {where}", (dag_id, run_id))
        ]
        rendered = [
            {"task_id": t, "map_index": m, "fields": _json_column(f)}
            for t, m, f in con.execute(
                f"SELECT task_id, map_index, rendered_fields FROM rendered_task_instance_fields {where}",
                (dag_id, run_id),
            )
        ]
    finally:
        con.close()
    return {"dag_id": dag_id, "run_state": state, "task_instances": tis, "xcoms": xcoms, "rendered_fields": rendered}


def main() -> int:
    out_dir, logical_date, dag_ids = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    import os

    import pendulum
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.sdk.definitions.param import ParamValidationError
    from airflow.utils.session import create_session  # noqa: F401  (configures the ORM)

    dags: dict[str, Any] = {}
    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        dags.update(bag.dags)
        # What every `dag.test()` does first (writing a fresh database's bundle takes minutes on this machine; the
        # later re-syncs find it unchanged).
        sync_bag_to_db(bag, bundle.name, bundle.version)
    from airflow import settings

    db = Path(os.environ["AIRFLOW_HOME"]) / "airflow.db"
    pristine = db.with_name("pristine.db")
    shutil.copyfile(db, pristine)
    for dag_id in dag_ids:
        target = out_dir / f"{dag_id}.json"
        # Every DAG starts from the same database (migrated, bundles synced, no runs), as `airflow dags test` alone
        # would: otherwise asset events and asset state left by DAGs run earlier in the batch change later outcomes.
        settings.dispose_orm()
        shutil.copyfile(pristine, db)
        settings.configure_orm()
        try:
            dag = dags[dag_id]
            try:
                run = dag.test(logical_date=pendulum.parse(logical_date))
            except ParamValidationError:
                # `airflow dags test` creates no run when the params do not validate.
                doc = {"dag_id": dag_id, "run_state": None, "task_instances": [], "xcoms": [], "rendered_fields": []}
            else:
                doc = read_run(db, dag_id, run.run_id)
        except Exception:
            doc = {"error": traceback.format_exc()[-4000:]}
        target.write_text(json.dumps(doc, sort_keys=True))
        print(f"airflow batch: {dag_id}: {doc.get('run_state', 'error')}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
