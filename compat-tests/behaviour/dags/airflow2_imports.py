"""Airflow 2 style import paths (airflow.decorators, airflow.operators.*, airflow.models, airflow.utils.*)."""

import datetime

from airflow.decorators import task
from airflow.models import DAG
from airflow.models.baseoperator import BaseOperator, chain
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import BranchPythonOperator, PythonOperator
from airflow.utils.trigger_rule import TriggerRule


class Hello(BaseOperator):
    template_fields = ("who",)

    def __init__(self, who: str, **kwargs):
        super().__init__(**kwargs)
        self.who = who

    def execute(self, context):
        return f"hello {self.who}"


with DAG(
    dag_id="airflow2_imports",
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    default_args={"owner": "compat"},
) as dag:

    @task
    def decorated() -> str:
        return "decorated"

    start = EmptyOperator(task_id="start")
    hello = Hello(task_id="hello", who="{{ dag.dag_id }}")
    branch = BranchPythonOperator(task_id="branch", python_callable=lambda: "left")
    left = PythonOperator(task_id="left", python_callable=lambda: "L")
    right = PythonOperator(task_id="right", python_callable=lambda: "R")
    join = BashOperator(task_id="join", bash_command="echo joined", trigger_rule=TriggerRule.NONE_FAILED)
    chain(start, hello, decorated(), branch, [left, right], join)
