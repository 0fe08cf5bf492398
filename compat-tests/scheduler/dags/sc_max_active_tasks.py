import time

from airflow.sdk import DAG, task

with DAG("sc_max_active_tasks", schedule=None, max_active_tasks=2):
    for i in range(4):

        @task(task_id=f"t{i}")
        def work(i=i):
            time.sleep(2)
            return i

        work()
