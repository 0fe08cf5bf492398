"""Airflow's `airflow.models.mappedoperator`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.mapped import MappedOperator as MappedOperator

__all__ = [
    "MappedOperator",
]
