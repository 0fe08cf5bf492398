"""template_ext files found through template_searchpath and next to the DAG file; a trailing space skips loading."""

import datetime
import os

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import BaseOperator, dag

HERE = os.path.dirname(os.path.abspath(__file__))


class FileRender(BaseOperator):
    template_fields = ("sql", "message")
    template_ext = (".sql", ".txt")

    def __init__(self, *, sql, message, **kwargs):
        super().__init__(**kwargs)
        self.sql = sql
        self.message = message

    def execute(self, context):
        return [self.sql, self.message]


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    template_searchpath=[os.path.join(HERE, "templates")],
    params={"table": "orders", "word": "bird"},
)
def templates_ext_files():
    FileRender(task_id="from_searchpath", sql="query.sql", message="nested/message.txt")
    FileRender(task_id="relative_to_dag", sql="templates/query.sql", message="not a file {{ ds }}")
    BashOperator(task_id="bash_file", bash_command="script.sh")
    BashOperator(task_id="bash_no_file", bash_command="echo script.sh ")


templates_ext_files()
