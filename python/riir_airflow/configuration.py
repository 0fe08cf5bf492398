"""Airflow's `airflow.configuration`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.config import conf as conf

__all__ = [
    "conf",
]
