from airflow.sdk import DAG, task

# All succeed; the scenario marks `last` failed with upstream (so first and middle too), leaving `side` alone.
with DAG("sc_mark_failed", schedule=None):

    @task
    def first():
        return 1

    @task
    def middle(x):
        return x + 1

    @task
    def last(x):
        return x + 1

    @task
    def side():
        return "side"

    last(middle(first()))
    side()
