"""@task.branch picks one of three paths; the join uses none_failed_min_one_success; an all_success join skips."""

import datetime

from airflow.sdk import TriggerRule, dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def branch_decorator():
    @task
    def number() -> int:
        return 7

    @task.branch
    def choose(n: int) -> str:
        return "odd" if n % 2 else "even"

    @task
    def path(name: str) -> str:
        return name

    @task(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def join() -> str:
        return "joined"

    @task
    def strict_join() -> str:
        return "never"

    c = choose(number())
    paths = [path.override(task_id=n)(n) for n in ("odd", "even", "zero")]
    c >> paths
    paths >> join()
    paths >> strict_join()
    paths[0] >> path.override(task_id="after_odd")("after odd")
    paths[1] >> path.override(task_id="after_even")("after even")


branch_decorator()
