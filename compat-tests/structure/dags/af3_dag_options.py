"""The DAG constructor's less common parameters, through @dag and DAG(), with their defaults elsewhere."""

import datetime

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, dag


def on_failure(context):
    print("failed", context)


@dag(
    dag_id="af3_dag_options_decorated",
    dag_display_name="DAG options (decorated)",
    description="many options",
    schedule="@weekly",
    start_date=pendulum.datetime(2024, 1, 1, tz="Asia/Tokyo"),
    end_date=pendulum.datetime(2026, 1, 1, tz="Asia/Tokyo"),
    catchup=True,
    max_active_runs=2,
    max_active_tasks=4,
    max_consecutive_failed_dag_runs=3,
    dagrun_timeout=datetime.timedelta(minutes=45),
    on_failure_callback=on_failure,
    doc_md="Docs for the decorated one.",
    owner_links={"ops": "https://example.com/ops"},
    tags={"set", "of", "tags"},
    fail_fast=False,
    is_paused_upon_creation=False,
)
def decorated_options():
    EmptyOperator(task_id="only", owner="ops")


decorated_options()

with DAG("af3_dag_options_defaults"):
    EmptyOperator(task_id="defaults_only")

with DAG("af3_dag_options_fail_fast", schedule=None, fail_fast=True, max_active_runs=1):
    EmptyOperator(task_id="one") >> EmptyOperator(task_id="two")
