"""Airflow's `airflow.models.pool`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.pool import Pool as Pool

__all__ = [
    "Pool",
]
