"""Airflow's `airflow.providers.standard.decorators.sensor`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.decorators import sensor_task as sensor_task

__all__ = [
    "sensor_task",
]
