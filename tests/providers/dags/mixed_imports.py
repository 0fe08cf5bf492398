"""One DAG file mixing `from airflow ...`, `from riir_airflow ...` and provider imports (issue 13, must-show 3)."""

from __future__ import annotations

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.sqlite.hooks.sqlite import SqliteHook
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task

from riir_airflow.providers.standard.operators.python import PythonOperator

with DAG("mixed_imports", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False):
    create = SQLExecuteQueryOperator(
        task_id="create",
        conn_id="mixed_sqlite",
        sql="CREATE TABLE IF NOT EXISTS t (n INTEGER); DELETE FROM t; INSERT INTO t VALUES (1), (2), (3)",
        split_statements=True,
    )

    @task
    def total() -> int:
        return int(SqliteHook(sqlite_conn_id="mixed_sqlite").get_first("SELECT SUM(n) FROM t")[0])

    def versions() -> str:
        import airflow

        import riir_airflow

        return f"{airflow.__version__} {riir_airflow.__version__}"

    summed = total()
    create >> summed
    echo = BashOperator(task_id="echo", bash_command="echo {{ ti.xcom_pull(task_ids='total') }}")
    summed >> echo >> PythonOperator(task_id="versions", python_callable=versions)
