"""Airflow's `airflow.partition_mappers.chain`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_mappers import ChainMapper as ChainMapper

__all__ = [
    "ChainMapper",
]
