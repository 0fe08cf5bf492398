"""PythonOperator (op_args/op_kwargs/templates_dict templated), BashOperator (env, output as XCom, non-zero exit,
skip_on_exit_code), EmptyOperator."""

import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def combine(a, b, *, c, templates_dict=None, **_):
    return {"a": a, "b": b, "c": c, "td": templates_dict}


with DAG("classic_operators", schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False):
    py = PythonOperator(
        task_id="python",
        python_callable=combine,
        op_args=["{{ ds }}", 2],
        op_kwargs={"c": "{{ dag.dag_id }}"},
        templates_dict={"q": "{{ ds_nodash }}", "n": 3},
    )
    bash = BashOperator(task_id="bash", bash_command='echo "line1"; echo "last $WHO"', env={"WHO": "{{ ds }}"})
    bash_fail = BashOperator(task_id="bash_fail", bash_command="exit 3")
    BashOperator(task_id="bash_skip", bash_command="exit 99")
    BashOperator(task_id="bash_custom_skip", bash_command="exit 5", skip_on_exit_code=[5])
    empty = EmptyOperator(task_id="empty")
    empty_after_fail = EmptyOperator(task_id="empty_after_fail")
    py >> bash >> empty
    bash_fail >> empty_after_fail
