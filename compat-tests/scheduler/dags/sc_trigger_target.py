from airflow.sdk import DAG, task

with DAG("sc_trigger_target", schedule=None):

    @task
    def echo(**context):
        return {"message": context["dag_run"].conf.get("message"), "try": context["ti"].try_number}

    echo()
