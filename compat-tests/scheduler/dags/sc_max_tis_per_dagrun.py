import time

from airflow.sdk import DAG, task

with DAG("sc_max_tis_per_dagrun", schedule=None):

    @task(max_active_tis_per_dagrun=1)
    def one_at_a_time(x):
        time.sleep(1)
        return x * 10

    @task
    def total(values):
        return sum(values)

    total(one_at_a_time.expand(x=[1, 2, 3, 4]))
