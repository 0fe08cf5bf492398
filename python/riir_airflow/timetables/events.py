"""Airflow's `airflow.timetables.events`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.timetables import EventsTimetable as EventsTimetable

__all__ = [
    "EventsTimetable",
]
