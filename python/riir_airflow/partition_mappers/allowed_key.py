"""Airflow's `airflow.partition_mappers.allowed_key`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_mappers import AllowedKeyMapper as AllowedKeyMapper

__all__ = [
    "AllowedKeyMapper",
]
