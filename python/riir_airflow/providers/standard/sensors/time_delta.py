"""Airflow's `airflow.providers.standard.sensors.time_delta`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.standard.sensors import TimeDeltaSensor as TimeDeltaSensor
from riir_airflow._internal.standard.sensors import TimeDeltaSensorAsync as TimeDeltaSensorAsync
from riir_airflow._internal.standard.sensors import WaitSensor as WaitSensor

__all__ = [
    "TimeDeltaSensor",
    "TimeDeltaSensorAsync",
    "WaitSensor",
]
