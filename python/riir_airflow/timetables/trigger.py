"""Airflow's `airflow.timetables.trigger`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_timetables import CronPartitionTimetable as CronPartitionTimetable
from riir_airflow.schedules.timetables import CronTriggerTimetable as CronTriggerTimetable
from riir_airflow.schedules.timetables import DeltaTriggerTimetable as DeltaTriggerTimetable
from riir_airflow.schedules.timetables import MultipleCronTriggerTimetable as MultipleCronTriggerTimetable

__all__ = [
    "CronPartitionTimetable",
    "CronTriggerTimetable",
    "DeltaTriggerTimetable",
    "MultipleCronTriggerTimetable",
]
