"""A file importing a module that does not exist."""

import module_that_does_not_exist_anywhere  # noqa: F401
from airflow.sdk import DAG

with DAG("bad_import", schedule=None):
    pass
