"""Branching with airflow.operators.python and a BaseBranchOperator subclass from airflow.operators.branch."""

import random

from airflow.models import DAG
from airflow.operators.branch import BaseBranchOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import BranchPythonOperator, ShortCircuitOperator
from airflow.utils.trigger_rule import TriggerRule


class EvenOddBranch(BaseBranchOperator):
    def choose_branch(self, context):
        return "even" if context["logical_date"].day % 2 == 0 else "odd"


with DAG("af2_branching", schedule="@daily", tags=["branching"]):
    options = ["branch_a", "branch_b", "branch_c"]
    branching = BranchPythonOperator(task_id="branching", python_callable=lambda: random.choice(options))
    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    for option in options:
        branching >> EmptyOperator(task_id=option) >> EmptyOperator(task_id=f"follow_{option}") >> join

    parity = EvenOddBranch(task_id="parity")
    parity >> [EmptyOperator(task_id="even"), EmptyOperator(task_id="odd")]

    gate = ShortCircuitOperator(task_id="gate", python_callable=lambda: False)
    gate >> EmptyOperator(task_id="after_gate")
