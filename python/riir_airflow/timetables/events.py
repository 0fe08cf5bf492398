"""Airflow's `airflow.timetables.events`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.timetables import EventsTimetable as EventsTimetable

__all__ = [
    "EventsTimetable",
]
