"""The Airflow 2 classic: `from airflow import DAG`, airflow.operators.* paths, start_date in default_args."""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator

default_args = {
    "owner": "airflow",
    "depends_on_past": False,
    "start_date": datetime(2023, 1, 1),
    "email_on_failure": False,
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
}


def print_context(**kwargs):
    print(kwargs["ds"])


dag = DAG(
    "af2_classic",
    default_args=default_args,
    description="A simple tutorial DAG",
    schedule=timedelta(days=1),
    catchup=False,
    tags=["example", "af2"],
)

t1 = BashOperator(task_id="print_date", bash_command="date", dag=dag)
t2 = BashOperator(task_id="sleep", depends_on_past=True, bash_command="sleep 5", retries=3, dag=dag)
t3 = PythonOperator(task_id="print_context", python_callable=print_context, dag=dag)
t4 = EmptyOperator(task_id="done", dag=dag)

t1 >> [t2, t3]
t4.set_upstream([t2, t3])

if __name__ == "__main__":
    # Airflow imports DAG files under a generated module name, so this never runs while parsing.
    dag.test()
