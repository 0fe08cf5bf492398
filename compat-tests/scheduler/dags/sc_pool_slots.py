import time

from airflow.sdk import DAG, task

# Pool sc_pool has 2 slots (the scenario creates it): `big` takes both, the others one each.
with DAG("sc_pool_slots", schedule=None):

    @task(pool="sc_pool", pool_slots=2, priority_weight=10)
    def big():
        time.sleep(2)
        return "big"

    for i in range(3):

        @task(task_id=f"small{i}", pool="sc_pool", pool_slots=1)
        def small(i=i):
            time.sleep(2)
            return i

        small()
    big()
