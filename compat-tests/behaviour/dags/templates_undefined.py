"""An undefined template variable fails the task at render time (StrictUndefined); its downstream is upstream_failed."""

import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import dag


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def templates_undefined():
    bad = BashOperator(task_id="bad", bash_command="echo {{ no_such_variable }}")
    BashOperator(task_id="good", bash_command="echo {{ params.get('missing', 'dflt') }}")
    after = BashOperator(task_id="after", bash_command="echo after")
    bad >> after


templates_undefined()
