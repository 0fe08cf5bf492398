"""DAGs that are never assigned to a module-level name: auto-registration must still find them."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, dag, task

with DAG("af3_unassigned_ctx", schedule=None):
    EmptyOperator(task_id="only")


def build(i: int) -> None:
    with DAG(f"af3_unassigned_factory_{i}", schedule=None, tags=["factory"]):
        EmptyOperator(task_id="first") >> EmptyOperator(task_id="second")


for i in range(3):
    build(i)


@dag(schedule=None)
def af3_unassigned_decorated():
    @task
    def hello():
        return "hi"

    hello()


af3_unassigned_decorated()


@dag(dag_id="af3_unassigned_renamed", schedule=None)
def some_function_name():
    EmptyOperator(task_id="x")


some_function_name()
