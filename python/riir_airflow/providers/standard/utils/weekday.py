"""Airflow's `airflow.providers.standard.utils.weekday`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.weekday import WeekDay as WeekDay

__all__ = [
    "WeekDay",
]
