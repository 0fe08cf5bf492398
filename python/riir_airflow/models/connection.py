"""Airflow's `airflow.models.connection`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.connection import Connection as Connection

__all__ = [
    "Connection",
]
