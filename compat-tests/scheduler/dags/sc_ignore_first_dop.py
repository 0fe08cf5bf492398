import datetime

from airflow.sdk import DAG, task

# `late` starts a day after the DAG: its first task instance has no predecessor in the previous run.
with DAG(
    "sc_ignore_first_dop",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 3),
    catchup=True,
    max_active_runs=1,
):

    @task(depends_on_past=True, ignore_first_depends_on_past=True)
    def first_ignored():
        return 1

    @task(depends_on_past=True, ignore_first_depends_on_past=False)
    def first_not_ignored():
        return 2

    first_ignored()
    first_not_ignored()
