"""Airflow's `airflow.providers.standard.sensors.filesystem`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.sensors import FileSensor as FileSensor

__all__ = [
    "FileSensor",
]
