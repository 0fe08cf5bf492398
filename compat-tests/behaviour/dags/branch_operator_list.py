"""BranchPythonOperator following a list of task ids (two of four), plus a templated op_kwargs."""

import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import BranchPythonOperator, PythonOperator
from airflow.sdk import DAG


def choose(which, **_):
    return [f"target_{w}" for w in which.split(",")]


with DAG("branch_operator_list", schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False):
    branch = BranchPythonOperator(task_id="branch", python_callable=choose, op_kwargs={"which": "a,c"})
    targets = [PythonOperator(task_id=f"target_{x}", python_callable=lambda x=x: x) for x in "abcd"]
    done = EmptyOperator(task_id="done", trigger_rule="none_failed")
    branch >> targets >> done
