"""A skip travels down all_success chains, stops at none_failed / all_done, and mixes with failures."""

import datetime

from airflow.sdk import TriggerRule, dag, task
from airflow.sdk.exceptions import AirflowSkipException


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def skip_propagation():
    @task
    def skipper() -> None:
        raise AirflowSkipException("nothing to do")

    @task
    def step(n: int) -> int:
        return n

    first = skipper()
    a = step.override(task_id="a")(1)
    b = step.override(task_id="b")(2)
    c = step.override(task_id="c", trigger_rule=TriggerRule.NONE_FAILED)(3)
    d = step.override(task_id="d")(4)
    e = step.override(task_id="e", trigger_rule=TriggerRule.ALL_DONE)(5)
    f = step.override(task_id="f", trigger_rule=TriggerRule.NONE_SKIPPED)(6)
    g = step.override(task_id="g")(7)
    first >> a >> b >> c >> d
    b >> e >> f
    [d, f] >> g


skip_propagation()
