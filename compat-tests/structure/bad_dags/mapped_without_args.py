"""expand() with nothing to expand over."""

from airflow.sdk import DAG, task

with DAG("bad_mapped_without_args", schedule=None):

    @task
    def one(x):
        return x

    one.expand()
