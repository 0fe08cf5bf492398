"""Every TriggerRule from the Airflow 2 path airflow.utils.trigger_rule."""

from airflow.models import DAG
from airflow.operators.empty import EmptyOperator
from airflow.utils.trigger_rule import TriggerRule

RULES = [
    TriggerRule.ALL_SUCCESS,
    TriggerRule.ALL_FAILED,
    TriggerRule.ALL_DONE,
    TriggerRule.ALL_DONE_MIN_ONE_SUCCESS,
    TriggerRule.ALL_DONE_SETUP_SUCCESS,
    TriggerRule.ONE_SUCCESS,
    TriggerRule.ONE_FAILED,
    TriggerRule.ONE_DONE,
    TriggerRule.NONE_FAILED,
    TriggerRule.NONE_SKIPPED,
    TriggerRule.ALWAYS,
    TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,
    TriggerRule.ALL_SKIPPED,
]

with DAG("af2_trigger_rules", schedule=None, default_args={"trigger_rule": TriggerRule.ALL_DONE}):
    root = EmptyOperator(task_id="root", trigger_rule=TriggerRule.ALWAYS)
    inherits = EmptyOperator(task_id="inherits_default")
    root >> inherits
    previous = inherits
    for rule in RULES:
        step = EmptyOperator(task_id=f"step_{rule.name.lower()}", trigger_rule=rule)
        previous >> step
        previous = step
