from airflow.sdk import DAG, task

with DAG("sc_clear_run", schedule=None):

    @task
    def one(**context):
        return context["ti"].try_number

    @task
    def two(x, **context):
        return context["ti"].try_number

    two(one())
