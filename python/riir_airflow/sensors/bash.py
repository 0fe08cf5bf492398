"""Airflow's `airflow.sensors.bash`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.standard.sensors import BashSensor as BashSensor

__all__ = [
    "BashSensor",
]
