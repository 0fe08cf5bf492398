"""short_circuit returning a falsy value skips everything downstream, ignoring trigger rules (the default)."""

import datetime

from airflow.sdk import TriggerRule, dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def short_circuit_false():
    @task.short_circuit
    def check() -> int:
        return 0

    @task
    def step(n: int) -> int:
        return n

    c = check()
    a = step.override(task_id="a")(1)
    b = step.override(task_id="b", trigger_rule=TriggerRule.ALL_DONE)(2)
    d = step.override(task_id="d", trigger_rule=TriggerRule.ALWAYS)(3)
    unrelated = step.override(task_id="unrelated")(4)
    c >> a >> b >> d
    unrelated >> b


short_circuit_false()
