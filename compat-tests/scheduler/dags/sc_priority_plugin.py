import time

from airflow.sdk import DAG, task
from sc_weight_plugin import DigitTimesTen

# One-slot pool sc_prio_plugin (the scenario creates it): the four roots start one at a time in the order the
# plugin's strategy weighs them (r4, r3, r2, r1), whatever their own priority_weight says.
with DAG("sc_priority_plugin", schedule=None, default_args={"weight_rule": DigitTimesTen(), "pool": "sc_prio_plugin"}):

    def make(name, weight):
        @task(task_id=name, priority_weight=weight)
        def work():
            time.sleep(0.5)
            return name

        return work()

    make("r1", 8), make("r2", 6), make("r3", 2), make("r4", 1)
