"""Dynamic task mapping: expand, partial, expand_kwargs on @task and classic operators."""

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, task


def add(x, y):
    return x + y


with DAG("af3_mapping", schedule=None, tags=["mapping"]):

    @task
    def files() -> list[str]:
        return ["a.csv", "b.csv"]

    @task(retries=1)
    def process(path: str, mode: str) -> int:
        return len(path)

    @task
    def summarize(sizes) -> int:
        return sum(sizes)

    sizes = process.partial(mode="fast").expand(path=files())
    summarize(sizes)

    BashOperator.partial(task_id="echo_each", retries=2).expand(bash_command=["echo 1", "echo 2"])
    PythonOperator.partial(task_id="adder", python_callable=add).expand_kwargs(
        [{"op_args": [1, 2]}, {"op_args": [3, 4]}]
    )

    @task
    def kwargs_list() -> list[dict]:
        return [{"path": "x", "mode": "m"}]

    process.override(task_id="process_kwargs").expand_kwargs(kwargs_list())
    process.override(task_id="cross_product").expand(path=["p", "q"], mode=["a", "b"])
