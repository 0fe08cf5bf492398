"""expand_kwargs over a list of dicts (literal and from XCom), classic operator partial/expand with templates."""

import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def mapping_expand_kwargs():
    @task
    def combine(a: int, b: str, c: str = "default") -> str:
        return f"{a}-{b}-{c}"

    @task
    def kwargs_list() -> list:
        return [{"a": 1, "b": "x"}, {"a": 2, "b": "y", "c": "given"}]

    combine.partial(c="partial").expand_kwargs([{"a": 9, "b": "lit"}])
    combine.override(task_id="combine_from_xcom").expand_kwargs(kwargs_list())
    BashOperator.partial(task_id="bash_mapped", env={"DAY": "{{ ds }}"}).expand_kwargs(
        [
            {"bash_command": "echo one $DAY {{ ti.map_index }}"},
            {"bash_command": "echo two {{ task.task_id }}", "env": {"DAY": "x"}},
        ]
    )


mapping_expand_kwargs()
