"""Callables that use get_current_context and raise Airflow exceptions imported from legacy paths."""

from airflow.decorators import dag, task
from airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from airflow.operators.python import PythonOperator, get_current_context


def maybe_skip():
    context = get_current_context()
    if context["params"].get("skip"):
        raise AirflowSkipException("asked to skip")


@dag(schedule=None, params={"skip": False}, default_args={"retries": 1})
def af2_context_and_exceptions():
    @task(retries=0)
    def strict():
        raise AirflowFailException("no retry")

    @task
    def generic():
        raise AirflowException("generic")

    PythonOperator(task_id="maybe_skip", python_callable=maybe_skip) >> [strict(), generic()]


af2_context_and_exceptions()
