"""Edge labels with Label, on plain edges and on lists."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import BranchPythonOperator
from airflow.sdk import DAG, Label


def choose():
    return "good"


with DAG("af3_labels", schedule=None, tags=["labels"]):
    check = BranchPythonOperator(task_id="check", python_callable=choose)
    good = EmptyOperator(task_id="good")
    bad = EmptyOperator(task_id="bad")
    report = EmptyOperator(task_id="report", trigger_rule="none_failed_min_one_success")

    check >> Label("all fine") >> good
    check >> Label("errors found") >> bad
    [good, bad] >> Label("summarise") >> report
    extra = EmptyOperator(task_id="extra")
    report.set_downstream(extra, edge_modifier=Label("afterwards"))
