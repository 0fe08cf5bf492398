"""A valid DAG next to broken files: it must still load."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("bad_folder_good_neighbour", schedule=None):
    EmptyOperator(task_id="fine") >> EmptyOperator(task_id="also_fine")
