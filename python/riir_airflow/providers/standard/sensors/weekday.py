"""Airflow's `airflow.providers.standard.sensors.weekday`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.sensors import DayOfWeekSensor as DayOfWeekSensor

__all__ = [
    "DayOfWeekSensor",
]
