from airflow.sdk import DAG, task

# a >> b >> c, and d on its own: the scenario clears b with downstream, then c with upstream (separate runs).
with DAG("sc_clear_family", schedule=None):

    @task
    def a(**context):
        return context["ti"].try_number

    @task
    def b(x, **context):
        return context["ti"].try_number

    @task
    def c(x, **context):
        return context["ti"].try_number

    @task
    def d(**context):
        return context["ti"].try_number

    c(b(a()))
    d()
