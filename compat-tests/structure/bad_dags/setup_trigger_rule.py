"""A setup task followed by a normal task with a non-default trigger rule: rejected by DAG validation."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("bad_setup_rule", schedule=None):
    prepare = EmptyOperator(task_id="prepare").as_setup()
    prepare >> EmptyOperator(task_id="work", trigger_rule="all_done")
