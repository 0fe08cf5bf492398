"""A DAG file that raises while building the DAG."""

from airflow.sdk import DAG

with DAG("bad_runtime", schedule=None):
    values = {"a": 1}
    missing = values["b"]
