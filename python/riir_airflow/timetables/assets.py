"""Airflow's `airflow.timetables.assets`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.timetables import AssetOrTimeSchedule as AssetOrTimeSchedule

__all__ = [
    "AssetOrTimeSchedule",
]
