"""Airflow's `airflow.providers.standard.sensors.time_delta`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.sensors import TimeDeltaSensor as TimeDeltaSensor
from riir_airflow.authoring.standard.sensors import TimeDeltaSensorAsync as TimeDeltaSensorAsync
from riir_airflow.authoring.standard.sensors import WaitSensor as WaitSensor

__all__ = [
    "TimeDeltaSensor",
    "TimeDeltaSensorAsync",
    "WaitSensor",
]
