"""Airflow's `airflow.timetables.simple`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_timetables import PartitionedAssetTimetable as PartitionedAssetTimetable
from riir_airflow.schedules.partition_timetables import PartitionedAtRuntime as PartitionedAtRuntime
from riir_airflow.schedules.timetables import AssetTriggeredTimetable as AssetTriggeredTimetable
from riir_airflow.schedules.timetables import ContinuousTimetable as ContinuousTimetable
from riir_airflow.schedules.timetables import NullTimetable as NullTimetable
from riir_airflow.schedules.timetables import OnceTimetable as OnceTimetable

__all__ = [
    "AssetTriggeredTimetable",
    "ContinuousTimetable",
    "NullTimetable",
    "OnceTimetable",
    "PartitionedAssetTimetable",
    "PartitionedAtRuntime",
]
