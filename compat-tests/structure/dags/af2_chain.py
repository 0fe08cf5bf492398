"""chain / cross_downstream / chain_linear from airflow.models.baseoperator, with task groups and XComArgs."""

from airflow.decorators import task
from airflow.models import DAG
from airflow.models.baseoperator import chain, chain_linear, cross_downstream
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG("af2_chain", schedule=None):
    ops = [EmptyOperator(task_id=f"op{i}") for i in range(1, 7)]
    chain(ops[0], ops[1], [ops[2], ops[3]], [ops[4], ops[5]])

    with TaskGroup("tg_a") as tg_a:
        EmptyOperator(task_id="inside")
    with TaskGroup("tg_b") as tg_b:
        EmptyOperator(task_id="inside")

    @task
    def produce():
        return 1

    chain(ops[5], tg_a, produce(), tg_b)

    left = [EmptyOperator(task_id=f"l{i}") for i in range(2)]
    right = [EmptyOperator(task_id=f"r{i}") for i in range(2)]
    cross_downstream(left, right)

    chain_linear(
        EmptyOperator(task_id="lin_start"),
        [EmptyOperator(task_id="lin_mid_a"), EmptyOperator(task_id="lin_mid_b")],
        [EmptyOperator(task_id="lin_end_a"), EmptyOperator(task_id="lin_end_b")],
    )
