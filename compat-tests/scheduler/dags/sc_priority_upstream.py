import time

from airflow.sdk import DAG, task

# One-slot pool sc_prio_upstream (the scenario creates it): the four roots start one at a time, highest effective
# priority first (weight_rule=upstream). r1 has three tasks below it, r2 one.
with DAG("sc_priority_upstream", schedule=None, default_args={"weight_rule": "upstream", "pool": "sc_prio_upstream"}):

    def make(name, weight):
        @task(task_id=name, priority_weight=weight)
        def work():
            time.sleep(0.5)
            return name

        return work()

    r1, r2, r3, r4 = make("r1", 1), make("r2", 2), make("r3", 6), make("r4", 8)
    r1 >> make("r1_c1", 2) >> make("r1_c2", 2) >> make("r1_c3", 2)
    r2 >> make("r2_c1", 2)
