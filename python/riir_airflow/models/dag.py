"""Airflow's `airflow.models.dag`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.dag import DAG as DAG

__all__ = [
    "DAG",
]
