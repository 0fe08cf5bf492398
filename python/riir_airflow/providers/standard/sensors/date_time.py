"""Airflow's `airflow.providers.standard.sensors.date_time`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.sensors import DateTimeSensor as DateTimeSensor
from riir_airflow.authoring.standard.sensors import DateTimeSensorAsync as DateTimeSensorAsync

__all__ = [
    "DateTimeSensor",
    "DateTimeSensorAsync",
]
