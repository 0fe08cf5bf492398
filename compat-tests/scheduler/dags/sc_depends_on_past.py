import datetime

from airflow.sdk import DAG, task

# Three daily runs at once; `a` fails the first try of 01-02, so 01-03's `a` waits (depends_on_past) until
# the scenario clears 01-02's `a`, whose second try succeeds.
with DAG(
    "sc_depends_on_past",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 3),
    catchup=True,
    max_active_runs=3,
    default_args={"retries": 0},
):

    @task(depends_on_past=True)
    def a(**context):
        if context["logical_date"].day == 2 and context["ti"].try_number == 1:
            raise RuntimeError("first try of 01-02 fails")
        return context["logical_date"].day

    @task
    def b(x):
        return x

    b(a())
