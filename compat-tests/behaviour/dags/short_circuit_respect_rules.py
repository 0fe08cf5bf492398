"""ShortCircuitOperator with ignore_downstream_trigger_rules=False: only direct downstream is skipped."""

import datetime

from airflow.providers.standard.operators.python import PythonOperator, ShortCircuitOperator
from airflow.sdk import DAG

with DAG("short_circuit_respect_rules", schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False):
    check = ShortCircuitOperator(task_id="check", python_callable=lambda: [], ignore_downstream_trigger_rules=False)
    a = PythonOperator(task_id="a", python_callable=lambda: "a")
    b_all_done = PythonOperator(task_id="b_all_done", python_callable=lambda: "b", trigger_rule="all_done")
    c_all_success = PythonOperator(task_id="c_all_success", python_callable=lambda: "c")
    d_none_failed = PythonOperator(task_id="d_none_failed", python_callable=lambda: "d", trigger_rule="none_failed")
    check >> a >> [b_all_done, c_all_success, d_none_failed]
