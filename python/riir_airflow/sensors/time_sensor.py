"""Airflow's `airflow.sensors.time_sensor`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.sensors import TimeSensor as TimeSensor
from riir_airflow.authoring.standard.sensors import TimeSensorAsync as TimeSensorAsync

__all__ = [
    "TimeSensor",
    "TimeSensorAsync",
]
