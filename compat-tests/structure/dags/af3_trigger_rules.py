"""Every TriggerRule value, set through the enum and through the plain string."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TriggerRule

with DAG("af3_trigger_rules", schedule=None, tags=["trigger_rules"]):
    up_a = EmptyOperator(task_id="up_a")
    up_b = EmptyOperator(task_id="up_b")
    for rule in TriggerRule:
        node = EmptyOperator(task_id=f"rule_{rule.value}", trigger_rule=rule)
        [up_a, up_b] >> node
    as_string = EmptyOperator(task_id="as_string", trigger_rule="one_failed")
    up_a >> as_string
