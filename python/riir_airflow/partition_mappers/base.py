"""Airflow's `airflow.partition_mappers.base`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_mappers import PartitionMapper as PartitionMapper
from riir_airflow.schedules.partition_mappers import RollupMapper as RollupMapper

__all__ = [
    "PartitionMapper",
    "RollupMapper",
]
