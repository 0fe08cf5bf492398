"""Setup/teardown via the context-manager form and as_teardown(); a teardown failure with on_failure_fail_dagrun."""

import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import dag, task


def boom():
    raise RuntimeError("teardown failed")


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def setup_teardown_context():
    @task
    def make() -> str:
        return "made"

    @task
    def clean() -> str:
        return "cleaned"

    @task
    def inner_a() -> str:
        return "a"

    @task
    def inner_b() -> str:
        return "b"

    s = make()
    t = clean().as_teardown(setups=s)
    with s >> t:
        inner_a() >> inner_b()

    s2 = PythonOperator(task_id="setup2", python_callable=lambda: "s2").as_setup()
    t2 = PythonOperator(task_id="teardown2", python_callable=boom).as_teardown(setups=s2, on_failure_fail_dagrun=True)

    @task
    def work2() -> str:
        return "w2"

    s2 >> work2() >> t2


setup_teardown_context()
