"""Airflow 2 style file importing the same helper module, with `import x` and `from x import y`."""

import corpus_helpers
from airflow import DAG
from airflow.operators.empty import EmptyOperator
from corpus_helpers import fan_out

with DAG(dag_id="af2_helper_import", schedule=None, default_args=dict(corpus_helpers.TEAM_DEFAULTS, retries=0)):
    head = EmptyOperator(task_id="head")
    head >> fan_out("part", 2)
    corpus_helpers.bracket([EmptyOperator(task_id="inner")], "wrap")
