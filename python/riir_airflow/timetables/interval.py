"""Airflow's `airflow.timetables.interval`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.timetables import CronDataIntervalTimetable as CronDataIntervalTimetable
from riir_airflow._internal.timetables import DeltaDataIntervalTimetable as DeltaDataIntervalTimetable

__all__ = [
    "CronDataIntervalTimetable",
    "DeltaDataIntervalTimetable",
]
