import datetime

from airflow.sdk import DAG, task

# 01-02 fails, so 01-03 sees 01-01 as the previous successful run.
with DAG(
    "sc_prev_success",
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1),
    end_date=datetime.datetime(2024, 1, 3),
    catchup=True,
    max_active_runs=1,
    default_args={"retries": 0},
):

    @task
    def report(**context):
        def iso(value):
            return value.isoformat() if value else None  # context values may be lazy proxies of None

        if context["logical_date"].day == 2:
            raise RuntimeError("01-02 fails")
        return {
            "prev_data_interval_start_success": iso(context["prev_data_interval_start_success"]),
            "prev_data_interval_end_success": iso(context["prev_data_interval_end_success"]),
            "prev_start_date_success": iso(context["prev_start_date_success"]),
            "prev_end_date_success": iso(context["prev_end_date_success"]),
        }

    report()
