"""airflow.utils.task_group.TaskGroup and airflow.decorators.task_group, group >> group, tooltips, ui colors."""

import pendulum
from airflow.decorators import task, task_group
from airflow.models import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG("af2_task_group", start_date=pendulum.datetime(2021, 1, 1, tz="UTC"), schedule=None):
    start = EmptyOperator(task_id="start")

    with TaskGroup("section_1", tooltip="Tasks for section_1") as section_1:
        task_1 = EmptyOperator(task_id="task_1")
        task_2 = BashOperator(task_id="task_2", bash_command="echo 1")
        task_3 = EmptyOperator(task_id="task_3")
        task_1 >> [task_2, task_3]

    with TaskGroup("section_2", tooltip="Tasks for section_2", ui_color="#abcdef") as section_2:
        task_1 = EmptyOperator(task_id="task_1")
        with TaskGroup("inner_section_2", tooltip="Tasks for inner_section2") as inner_section_2:
            task_2 = BashOperator(task_id="task_2", bash_command="echo 1")
            task_3 = EmptyOperator(task_id="task_3")
            task_4 = EmptyOperator(task_id="task_4")
            [task_2, task_3] >> task_4

    @task_group(group_id="decorated", prefix_group_id=False)
    def decorated():
        @task
        def one():
            return 1

        @task
        def two(v):
            return v

        two(one())

    end = EmptyOperator(task_id="end")
    start >> section_1 >> section_2 >> decorated() >> end
    section_1.set_downstream(end)
