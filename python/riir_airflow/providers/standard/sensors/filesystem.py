"""Airflow's `airflow.providers.standard.sensors.filesystem`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.standard.sensors import FileSensor as FileSensor

__all__ = [
    "FileSensor",
]
