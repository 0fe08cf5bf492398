import time

from airflow.sdk import DAG, task

# Three manual runs at once; no two tries of `solo` may overlap across them.
with DAG("sc_max_tis_per_dag", schedule=None, max_active_runs=3):

    @task(max_active_tis_per_dag=1)
    def solo(**context):
        time.sleep(1.5)
        return context["run_id"]

    @task
    def free():
        return "free"

    solo()
    free()
