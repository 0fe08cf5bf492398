from airflow.sdk import DAG, PokeReturnValue, task

with DAG("sc_reschedule_count", schedule=None):

    @task.sensor(poke_interval=15, mode="reschedule", timeout=120)
    def wait_three_pokes(**context):
        count = context["task_reschedule_count"]
        return PokeReturnValue(is_done=count >= 2, xcom_value=count)

    @task
    def after(count):
        return count

    after(wait_three_pokes())
