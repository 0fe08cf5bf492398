"""Airflow's `airflow.utils.helpers`: in Airflow 3 it no longer has the names DAG authors used here.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""


__all__ = [
]
