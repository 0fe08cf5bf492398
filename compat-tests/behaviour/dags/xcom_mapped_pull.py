"""xcom_pull from a mapped task: all indexes, one map_index, a list of map_indexes; and do_xcom_push=False."""

import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def xcom_mapped_pull():
    @task
    def square(x: int) -> int:
        return x * x

    @task
    def pull(ti=None) -> dict:
        return {
            "all": ti.xcom_pull(task_ids="square"),
            "one": ti.xcom_pull(task_ids="square", map_indexes=1),
            "some": ti.xcom_pull(task_ids="square", map_indexes=[2, 0]),
            "silent": ti.xcom_pull(task_ids="silent"),
        }

    silent = PythonOperator(task_id="silent", python_callable=lambda: "not pushed", do_xcom_push=False)
    [square.expand(x=[1, 2, 3]), silent] >> pull()


xcom_mapped_pull()
