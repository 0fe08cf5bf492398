"""Explicit xcom_push with keys, xcom_pull with task_ids lists, keys, defaults and missing values."""

import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import dag, task


def pusher(ti, **_):
    ti.xcom_push(key="k1", value="v1")
    ti.xcom_push(key="k2", value={"nested": [1, 2]})
    return "classic return"


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def xcom_push_pull():
    @task
    def p1(ti=None) -> str:
        ti.xcom_push(key="shared", value="from p1")
        return "r1"

    @task
    def p2(ti=None) -> str:
        ti.xcom_push(key="shared", value="from p2")
        return "r2"

    @task
    def puller(ti=None) -> dict:
        return {
            "single": ti.xcom_pull(task_ids="p1"),
            "list": ti.xcom_pull(task_ids=["p1", "p2", "classic"]),
            "reversed_list": ti.xcom_pull(task_ids=["p2", "p1"]),
            "key": ti.xcom_pull(task_ids="p2", key="shared"),
            "key_list": ti.xcom_pull(task_ids=["p1", "p2"], key="shared"),
            "classic_k2": ti.xcom_pull(task_ids="classic", key="k2"),
            "missing_key": ti.xcom_pull(task_ids="p1", key="nope"),
            "missing_default": ti.xcom_pull(task_ids="p1", key="nope", default="fallback"),
            "missing_task": ti.xcom_pull(task_ids="ghost"),
            "missing_in_list": ti.xcom_pull(task_ids=["p1", "ghost"]),
        }

    classic = PythonOperator(task_id="classic", python_callable=pusher)
    [p1(), p2(), classic] >> puller()


xcom_push_pull()
