import datetime

from airflow.sdk import DAG, task

with DAG(
    "sc_xcom_prior",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 3),
    catchup=True,
    max_active_runs=1,
):

    @task
    def push(**context):
        return context["logical_date"].day

    @task
    def pull(**context):
        ti = context["ti"]
        return {
            "prior_latest": ti.xcom_pull(task_ids="push", include_prior_dates=True),
            "this_run": ti.xcom_pull(task_ids="push"),
            "first_run": ti.xcom_pull(task_ids="push", run_id="scheduled__2024-01-01T00:00:00+00:00"),
            "missing_key": ti.xcom_pull(task_ids="push", key="nope", include_prior_dates=True),
        }

    push() >> pull()
