"""Airflow's `airflow.models.dagbag`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.dag_processing.loader import DagBag as DagBag

__all__ = [
    "DagBag",
]
