"""Airflow's `airflow.sdk.definitions.dag`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.dag import DAG as DAG
from riir_airflow.authoring.dag import dag as dag

__all__ = [
    "DAG",
    "dag",
]
