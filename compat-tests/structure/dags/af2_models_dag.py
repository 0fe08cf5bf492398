"""DAG from airflow.models and airflow.models.dag; tasks attached with dag= and with the context manager."""

import pendulum
from airflow.models import DAG
from airflow.models.dag import DAG as ModuleDAG
from airflow.operators.empty import EmptyOperator

first = DAG("af2_models_dag_first", schedule="@weekly", start_date=pendulum.datetime(2022, 1, 1), catchup=True)
a = EmptyOperator(task_id="a", dag=first)
b = EmptyOperator(task_id="b", dag=first)
c = EmptyOperator(task_id="c", dag=first)
a.set_downstream(b)
c.set_upstream(b)

with ModuleDAG("af2_models_dag_second", schedule="15 4 * * 0", max_active_runs=1, description="second") as second:
    x = EmptyOperator(task_id="x")
    y = EmptyOperator(task_id="y")
    z = EmptyOperator(task_id="z", owner="z_owner")
    x.set_downstream([y, z])
