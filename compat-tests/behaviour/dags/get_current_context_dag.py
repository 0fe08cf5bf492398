"""get_current_context() inside a helper called from a task, in a classic operator and in a decorated task."""

import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import dag, get_current_context, task


def helper() -> dict:
    ctx = get_current_context()
    return {"task_id": ctx["ti"].task_id, "ds": ctx["ds"], "params": dict(ctx["params"])}


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False, params={"p": "v"})
def get_current_context_dag():
    @task
    def decorated() -> dict:
        return helper()

    decorated()
    PythonOperator(task_id="classic", python_callable=helper)


get_current_context_dag()
