"""EmptyOperator graph: the scheduler marks EmptyOperators done without running them; with a callback it runs."""

import datetime
import os
from pathlib import Path

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TriggerRule


def note(context):
    Path(os.environ["BEHAVIOUR_OUT_DIR"], "empty_with_callback").write_text("success callback ran\n")


with DAG("empty_operators", schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False):
    start = EmptyOperator(task_id="start")
    middle = [EmptyOperator(task_id=f"m{i}") for i in range(3)]
    with_cb = EmptyOperator(task_id="with_callback", on_success_callback=note)
    end = EmptyOperator(task_id="end", trigger_rule=TriggerRule.ALL_DONE)
    start >> middle >> with_cb >> end
