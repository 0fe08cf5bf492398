"""Airflow's `airflow.providers.standard.sensors.date_time`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.standard.sensors import DateTimeSensor as DateTimeSensor
from riir_airflow._internal.standard.sensors import DateTimeSensorAsync as DateTimeSensorAsync

__all__ = [
    "DateTimeSensor",
    "DateTimeSensorAsync",
]
