"""Airflow's `airflow.dag_processing.dagbag`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.dagbag import DagBag as DagBag

__all__ = [
    "DagBag",
]
