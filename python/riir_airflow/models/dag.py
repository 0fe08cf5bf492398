"""Airflow's `airflow.models.dag`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.dag import DAG as DAG

__all__ = [
    "DAG",
]
