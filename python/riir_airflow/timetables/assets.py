"""Airflow's `airflow.timetables.assets`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.timetables import AssetOrTimeSchedule as AssetOrTimeSchedule

__all__ = [
    "AssetOrTimeSchedule",
]
