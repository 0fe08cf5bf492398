"""Setup / teardown with airflow.decorators.setup/teardown and operator .as_setup()/.as_teardown()."""

from airflow.decorators import setup, task, teardown
from airflow.models import DAG
from airflow.operators.bash import BashOperator
from airflow.utils.task_group import TaskGroup

with DAG("af2_setup_teardown", schedule=None):
    create = BashOperator(task_id="create_env", bash_command="echo create")
    destroy = BashOperator(task_id="destroy_env", bash_command="echo destroy")

    @task
    def work():
        return 1

    create >> work() >> destroy
    create.as_setup()
    destroy.as_teardown(setups=create)

    with TaskGroup("scoped"):

        @setup
        def open_conn():
            return "c"

        @teardown
        def close_conn(c):
            return c

        @task
        def query(c):
            return c

        c = open_conn()
        query(c) >> close_conn(c)
