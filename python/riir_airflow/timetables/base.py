"""Airflow's `airflow.timetables.base`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_timetables import PartitionMapperInfo as PartitionMapperInfo
from riir_airflow.schedules.partition_timetables import compute_rollup_fingerprint as compute_rollup_fingerprint
from riir_airflow.schedules.timetables import DagRunInfo as DagRunInfo
from riir_airflow.schedules.timetables import DataInterval as DataInterval
from riir_airflow.schedules.timetables import TimeRestriction as TimeRestriction
from riir_airflow.schedules.timetables import Timetable as Timetable

__all__ = [
    "DagRunInfo",
    "DataInterval",
    "PartitionMapperInfo",
    "TimeRestriction",
    "Timetable",
    "compute_rollup_fingerprint",
]
