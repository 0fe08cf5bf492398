"""Several DAGs in one file: presets, cron strings, timedeltas, catchup, and one DAG kept only in a dict."""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator

dag_hourly = DAG("af2_several_hourly", schedule="@hourly", start_date=datetime(2024, 1, 1), catchup=True)
EmptyOperator(task_id="ping", dag=dag_hourly)

dag_cron = DAG("af2_several_cron", schedule="5 4 * * sun", start_date=datetime(2024, 1, 1))
BashOperator(task_id="weekly_job", bash_command="echo weekly", dag=dag_cron)

dag_delta = DAG("af2_several_delta", schedule=timedelta(minutes=30), start_date=datetime(2024, 1, 1))
EmptyOperator(task_id="half_hour", dag=dag_delta)

REGISTRY = {}
for suffix in ("x", "y"):
    with DAG(f"af2_several_dict_{suffix}", schedule="@once") as built:
        EmptyOperator(task_id=f"only_{suffix}")
    REGISTRY[suffix] = built

with DAG("af2_several_empty", schedule=None, description="no tasks at all"):
    pass

if __name__ == "__main__":
    # Never defined when the file is parsed as a DAG file (the module is not __main__ then).
    with DAG("af2_several_only_when_main", schedule=None):
        EmptyOperator(task_id="never")
