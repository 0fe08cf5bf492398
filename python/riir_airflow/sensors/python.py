"""Airflow's `airflow.sensors.python`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.sensors import PythonSensor as PythonSensor

__all__ = [
    "PythonSensor",
]
