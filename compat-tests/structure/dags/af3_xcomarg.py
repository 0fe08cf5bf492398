"""XComArg: .output of classic operators, indexing multiple_outputs, zip and map."""

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, XComArg, task


def make_numbers():
    return [1, 2, 3]


with DAG("af3_xcomarg", schedule=None):
    numbers = PythonOperator(task_id="numbers", python_callable=make_numbers)
    echo = BashOperator(task_id="echo", bash_command="echo {{ ti.xcom_pull('numbers') }}")

    @task
    def total(values) -> int:
        return sum(values)

    @task(multiple_outputs=True)
    def stats() -> dict:
        return {"mean": 1.0, "count": 3}

    @task
    def show(mean, count):
        print(mean, count)

    @task
    def letters() -> list:
        return ["a", "b", "c"]

    @task
    def consume_pairs(pair):
        return pair

    @task
    def consume_upper(value):
        return value

    total(numbers.output)
    s = stats()
    show(s["mean"], s["count"])
    zipped = numbers.output.zip(letters())
    consume_pairs.expand(pair=zipped)
    upper = letters().map(lambda v: v.upper())
    consume_upper.expand(value=upper)
    XComArg(echo) >> total.override(task_id="after_echo")(XComArg(numbers))
