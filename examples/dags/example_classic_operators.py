"""Classic operators: `BashOperator`, `PythonOperator` and `EmptyOperator` wired with `>>`, Jinja templates
(`{{ ds }}`, `{{ params }}`) and an XCom pulled by a later task."""

from __future__ import annotations

import pendulum

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def _count_words(text: str) -> int:
    return len(text.split())


def _check(ti) -> None:  # type: ignore[no-untyped-def]
    words = ti.xcom_pull(task_ids="count_words")
    if words != 4:
        raise ValueError(f"expected 4 words, got {words}")


with DAG(
    dag_id="example_classic_operators",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    params={"greeting": "hello"},
    tags=["example"],
):
    start = EmptyOperator(task_id="start")
    echo = BashOperator(task_id="echo", bash_command="echo '{{ params.greeting }} from {{ ds }}'")
    count = PythonOperator(task_id="count_words", python_callable=_count_words, op_args=["one two three four"])
    check = PythonOperator(task_id="check", python_callable=_check)
    start >> echo >> count >> check
