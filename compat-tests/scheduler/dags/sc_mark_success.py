from airflow.sdk import DAG, task

# `broken` fails, `next1` and `next2` are upstream_failed; the scenario marks broken success with downstream.
with DAG("sc_mark_success", schedule=None, default_args={"retries": 0}):

    @task
    def broken():
        raise RuntimeError("broken")

    @task
    def next1(x):
        return x

    @task
    def next2(x):
        return x

    next2(next1(broken()))
