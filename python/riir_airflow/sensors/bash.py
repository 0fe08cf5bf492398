"""Airflow's `airflow.sensors.bash`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.sensors import BashSensor as BashSensor

__all__ = [
    "BashSensor",
]
