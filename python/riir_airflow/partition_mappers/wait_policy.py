"""Airflow's `airflow.partition_mappers.wait_policy`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_mappers import MinimumCount as MinimumCount
from riir_airflow.schedules.partition_mappers import WaitForAll as WaitForAll
from riir_airflow.schedules.partition_mappers import WaitPolicy as WaitPolicy

__all__ = [
    "MinimumCount",
    "WaitForAll",
    "WaitPolicy",
]
