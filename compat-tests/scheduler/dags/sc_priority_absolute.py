import time

from airflow.sdk import DAG, task

# One-slot pool sc_prio_absolute (the scenario creates it): the four roots start one at a time, highest effective
# priority first (weight_rule=absolute). r1 has three tasks below it, r2 one.
with DAG("sc_priority_absolute", schedule=None, default_args={"weight_rule": "absolute", "pool": "sc_prio_absolute"}):

    def make(name, weight):
        @task(task_id=name, priority_weight=weight)
        def work():
            time.sleep(0.5)
            return name

        return work()

    r1, r2, r3, r4 = make("r1", 1), make("r2", 2), make("r3", 6), make("r4", 8)
    r1 >> make("r1_c1", 2) >> make("r1_c2", 2) >> make("r1_c3", 2)
    r2 >> make("r2_c1", 2)
