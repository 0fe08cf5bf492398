"""Airflow's `airflow.timetables.interval`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.timetables import CronDataIntervalTimetable as CronDataIntervalTimetable
from riir_airflow.schedules.timetables import DeltaDataIntervalTimetable as DeltaDataIntervalTimetable

__all__ = [
    "CronDataIntervalTimetable",
    "DeltaDataIntervalTimetable",
]
