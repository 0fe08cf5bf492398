"""Dynamic task mapping written with airflow.decorators and airflow.operators.* imports."""

from datetime import datetime

from airflow.decorators import dag, task
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator


def multiply(value, factor):
    return value * factor


@dag(start_date=datetime(2024, 1, 1), schedule=None, catchup=False)
def af2_mapping():
    @task
    def make_list():
        return [1, 2, 3]

    @task
    def add_one(x: int):
        return x + 1

    @task
    def sum_it(values):
        return sum(values)

    added = add_one.expand(x=make_list())
    sum_it(added)

    PythonOperator.partial(task_id="multiply", python_callable=multiply, op_kwargs={"factor": 2}).expand(
        op_args=[[1], [2], [3]]
    )

    echo = BashOperator.partial(task_id="echo_env", bash_command="echo $V").expand(env=[{"V": "a"}, {"V": "b"}])

    @task
    def configs():
        return [{"bash_command": "echo x"}, {"bash_command": "echo y", "env": {"Z": "1"}}]

    configs() >> echo
    BashOperator.partial(task_id="from_kwargs").expand_kwargs(configs.override(task_id="configs_2")())


af2_mapping()
