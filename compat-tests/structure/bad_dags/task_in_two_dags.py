"""One operator assigned to a second DAG."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

first = DAG("bad_two_dags_first", schedule=None)
second = DAG("bad_two_dags_second", schedule=None)
shared = EmptyOperator(task_id="shared", dag=first)
shared.dag = second
