from airflow.sdk import DAG, task

with DAG("sc_trigger_failing", schedule=None, default_args={"retries": 0}):

    @task
    def fails():
        raise RuntimeError("target fails")

    fails()
