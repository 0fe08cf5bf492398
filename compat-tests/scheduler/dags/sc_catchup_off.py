import datetime

from airflow.sdk import DAG, task

# catchup=False: only the latest complete interval gets a run when the DAG is unpaused.
with DAG("sc_catchup_off", schedule="@daily", start_date=datetime.datetime(2024, 1, 1), catchup=False):

    @task
    def work():
        return "latest only"

    work()
