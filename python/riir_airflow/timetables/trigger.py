"""Airflow's `airflow.timetables.trigger`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.partition_timetables import CronPartitionTimetable as CronPartitionTimetable
from riir_airflow._internal.timetables import CronTriggerTimetable as CronTriggerTimetable
from riir_airflow._internal.timetables import DeltaTriggerTimetable as DeltaTriggerTimetable
from riir_airflow._internal.timetables import MultipleCronTriggerTimetable as MultipleCronTriggerTimetable

__all__ = [
    "CronPartitionTimetable",
    "CronTriggerTimetable",
    "DeltaTriggerTimetable",
    "MultipleCronTriggerTimetable",
]
