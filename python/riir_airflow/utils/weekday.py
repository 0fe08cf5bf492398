"""Airflow's `airflow.utils.weekday`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.standard.weekday import WeekDay as WeekDay

__all__ = [
    "WeekDay",
]
