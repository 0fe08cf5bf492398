"""A file that does not parse."""

from airflow.sdk import DAG

with DAG("bad_syntax", schedule=None)
    pass
