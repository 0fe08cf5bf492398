"""Airflow's `airflow.partition_mappers.identity`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_mappers import IdentityMapper as IdentityMapper

__all__ = [
    "IdentityMapper",
]
