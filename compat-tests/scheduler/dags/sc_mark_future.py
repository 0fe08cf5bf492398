import datetime

from airflow.sdk import DAG, task

# Three runs; the scenario marks `t` of 01-02 failed with include_future (01-02 and 01-03) and include_past unset.
with DAG(
    "sc_mark_future",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 3),
    catchup=True,
    max_active_runs=1,
):

    @task
    def t(**context):
        return context["logical_date"].day

    t()
