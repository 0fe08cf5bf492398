"""XComArg via airflow.models.xcom_arg, .output of classic operators feeding TaskFlow and templates."""

from airflow.decorators import task
from airflow.models import DAG
from airflow.models.xcom_arg import XComArg
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator


def numbers():
    return {"a": 1, "b": 2}


with DAG("af2_xcom", schedule=None):
    produce = PythonOperator(task_id="produce", python_callable=numbers, multiple_outputs=True)
    echo = BashOperator(task_id="echo", bash_command="echo {{ ti.xcom_pull(task_ids='produce', key='a') }}")

    @task
    def use(a, b):
        return a + b

    result = use(produce.output["a"], XComArg(produce, key="b"))
    consumer = BashOperator(task_id="consumer", bash_command=result)
    echo << produce
    after = PythonOperator(task_id="after", python_callable=print, op_args=[echo.output])
    consumer >> after
