"""Airflow's `airflow.models.pool`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.pool import Pool as Pool

__all__ = [
    "Pool",
]
